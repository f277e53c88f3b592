from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.member_state_body import MemberStateBody, check_member_state_body
from ..types import UNSET, Unset

T = TypeVar("T", bound="MemberBody")


@_attrs_define
class MemberBody:
    """One roster member, as this node sees it.

    Attributes:
        addrs (list[str]): Its addresses in the roster.
        center (str): Its center.
        node (str): Its key (PeerId).
        state (MemberStateBody): A roster member's connection state.
        agent (None | str | Unset): Its software, as it says.
        last_error (None | str | Unset): The last failure (dial error, refusal) since it was last verified.
        last_seen (int | None | Unset): When it was last heard from, unix seconds.
    """

    addrs: list[str]
    center: str
    node: str
    state: MemberStateBody
    agent: None | str | Unset = UNSET
    last_error: None | str | Unset = UNSET
    last_seen: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        addrs = self.addrs

        center = self.center

        node = self.node

        state: str = self.state

        agent: None | str | Unset
        if isinstance(self.agent, Unset):
            agent = UNSET
        else:
            agent = self.agent

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        last_seen: int | None | Unset
        if isinstance(self.last_seen, Unset):
            last_seen = UNSET
        else:
            last_seen = self.last_seen

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "addrs": addrs,
                "center": center,
                "node": node,
                "state": state,
            }
        )
        if agent is not UNSET:
            field_dict["agent"] = agent
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if last_seen is not UNSET:
            field_dict["last_seen"] = last_seen

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        addrs = cast(list[str], d.pop("addrs"))

        center = d.pop("center")

        node = d.pop("node")

        state = check_member_state_body(d.pop("state"))

        def _parse_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        agent = _parse_agent(d.pop("agent", UNSET))

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_last_seen(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        last_seen = _parse_last_seen(d.pop("last_seen", UNSET))

        member_body = cls(
            addrs=addrs,
            center=center,
            node=node,
            state=state,
            agent=agent,
            last_error=last_error,
            last_seen=last_seen,
        )

        member_body.additional_properties = d
        return member_body

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
