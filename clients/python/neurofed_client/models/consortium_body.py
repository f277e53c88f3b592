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
        revocation_serial (int | None | Unset): Version of the revocation list held.
    """

    connected_peers: int
    consortium: str
    listen_addrs: list[str]
    members: list[MemberBody]
    node: str
    roster_serial: int
    running: bool
    revocation_serial: int | None | Unset = UNSET
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

        revocation_serial: int | None | Unset
        if isinstance(self.revocation_serial, Unset):
            revocation_serial = UNSET
        else:
            revocation_serial = self.revocation_serial

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
            }
        )
        if revocation_serial is not UNSET:
            field_dict["revocation_serial"] = revocation_serial

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

        def _parse_revocation_serial(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        revocation_serial = _parse_revocation_serial(d.pop("revocation_serial", UNSET))

        consortium_body = cls(
            connected_peers=connected_peers,
            consortium=consortium,
            listen_addrs=listen_addrs,
            members=members,
            node=node,
            roster_serial=roster_serial,
            running=running,
            revocation_serial=revocation_serial,
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
