from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.member_body import MemberBody


T = TypeVar("T", bound="ConsortiumBody")


@_attrs_define
class ConsortiumBody:
    """`GET /consortium`: the consortium and this node's place in it.

    Attributes:
        connected_peers (int): Peers connected (members or not yet verified).
        consortium (str): The consortium (its coordinator's key).
        listen_addrs (list[str]): Where this node listens.
        members (list[MemberBody]): Roster members, by key.
        node (str): This node (PeerId).
        roster_serial (int): Version of the roster held.
        running (bool): Whether the event loop runs.
        warnings (list[str]): What needs attention: no list yet, a list about to go stale (less than a day or a
            quarter of its window left) or stale.
        revocation_age_s (int | None | Unset): Its age now, in seconds.
        revocation_issued_at (int | None | Unset): When that list was issued (unix seconds).
        revocation_serial (int | None | Unset): Version of the revocation list held.
        revocation_trusted_until (int | None | Unset): Until when this node trusts it (unix seconds); past it every
            grant is refused with
            `revocation_list_stale`. `null` with a list: no limit.
    """

    connected_peers: int
    consortium: str
    listen_addrs: list[str]
    members: list[MemberBody]
    node: str
    roster_serial: int
    running: bool
    warnings: list[str]
    revocation_age_s: int | None | Unset = UNSET
    revocation_issued_at: int | None | Unset = UNSET
    revocation_serial: int | None | Unset = UNSET
    revocation_trusted_until: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        connected_peers = self.connected_peers

        consortium = self.consortium

        listen_addrs = self.listen_addrs

        members = []
        for members_item_data in self.members:
            members_item = members_item_data.to_dict()
            members.append(members_item)

        node = self.node

        roster_serial = self.roster_serial

        running = self.running

        warnings = self.warnings

        revocation_age_s: int | None | Unset
        if isinstance(self.revocation_age_s, Unset):
            revocation_age_s = UNSET
        else:
            revocation_age_s = self.revocation_age_s

        revocation_issued_at: int | None | Unset
        if isinstance(self.revocation_issued_at, Unset):
            revocation_issued_at = UNSET
        else:
            revocation_issued_at = self.revocation_issued_at

        revocation_serial: int | None | Unset
        if isinstance(self.revocation_serial, Unset):
            revocation_serial = UNSET
        else:
            revocation_serial = self.revocation_serial

        revocation_trusted_until: int | None | Unset
        if isinstance(self.revocation_trusted_until, Unset):
            revocation_trusted_until = UNSET
        else:
            revocation_trusted_until = self.revocation_trusted_until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "connected_peers": connected_peers,
                "consortium": consortium,
                "listen_addrs": listen_addrs,
                "members": members,
                "node": node,
                "roster_serial": roster_serial,
                "running": running,
                "warnings": warnings,
            }
        )
        if revocation_age_s is not UNSET:
            field_dict["revocation_age_s"] = revocation_age_s
        if revocation_issued_at is not UNSET:
            field_dict["revocation_issued_at"] = revocation_issued_at
        if revocation_serial is not UNSET:
            field_dict["revocation_serial"] = revocation_serial
        if revocation_trusted_until is not UNSET:
            field_dict["revocation_trusted_until"] = revocation_trusted_until

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.member_body import MemberBody

        d = dict(src_dict)
        connected_peers = d.pop("connected_peers")

        consortium = d.pop("consortium")

        listen_addrs = cast(list[str], d.pop("listen_addrs"))

        members = []
        _members = d.pop("members")
        for members_item_data in _members:
            members_item = MemberBody.from_dict(members_item_data)

            members.append(members_item)

        node = d.pop("node")

        roster_serial = d.pop("roster_serial")

        running = d.pop("running")

        warnings = cast(list[str], d.pop("warnings"))

        def _parse_revocation_age_s(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        revocation_age_s = _parse_revocation_age_s(d.pop("revocation_age_s", UNSET))

        def _parse_revocation_issued_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        revocation_issued_at = _parse_revocation_issued_at(
            d.pop("revocation_issued_at", UNSET)
        )

        def _parse_revocation_serial(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        revocation_serial = _parse_revocation_serial(d.pop("revocation_serial", UNSET))

        def _parse_revocation_trusted_until(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        revocation_trusted_until = _parse_revocation_trusted_until(
            d.pop("revocation_trusted_until", UNSET)
        )

        consortium_body = cls(
            connected_peers=connected_peers,
            consortium=consortium,
            listen_addrs=listen_addrs,
            members=members,
            node=node,
            roster_serial=roster_serial,
            running=running,
            warnings=warnings,
            revocation_age_s=revocation_age_s,
            revocation_issued_at=revocation_issued_at,
            revocation_serial=revocation_serial,
            revocation_trusted_until=revocation_trusted_until,
        )

        consortium_body.additional_properties = d
        return consortium_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
