from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.member_outcome import MemberOutcome, check_member_outcome
from ..types import UNSET, Unset

T = TypeVar("T", bound="NodeReportBody")


@_attrs_define
class NodeReportBody:
    """One member's part in a federated search.

    Attributes:
        center (str): Its center, from the roster.
        hits (int): Hits it returned.
        local (bool): Whether it is this node.
        node (str): The member (PeerId).
        status (MemberOutcome): How one member fared in a federated search.
        code (None | str | Unset): With `denied`: the refusal code.
        latency_ms (int | None | Unset): Milliseconds until its answer (absent without one).
        message (None | str | Unset): With `error`: a message.
        reason (None | str | Unset): With `unreachable`: what failed.
        total (int | None | str | Unset):
    """

    center: str
    hits: int
    local: bool
    node: str
    status: MemberOutcome
    code: None | str | Unset = UNSET
    latency_ms: int | None | Unset = UNSET
    message: None | str | Unset = UNSET
    reason: None | str | Unset = UNSET
    total: int | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        center = self.center

        hits = self.hits

        local = self.local

        node = self.node

        status: str = self.status

        code: None | str | Unset
        if isinstance(self.code, Unset):
            code = UNSET
        else:
            code = self.code

        latency_ms: int | None | Unset
        if isinstance(self.latency_ms, Unset):
            latency_ms = UNSET
        else:
            latency_ms = self.latency_ms

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        total: int | None | str | Unset
        if isinstance(self.total, Unset):
            total = UNSET
        else:
            total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "center": center,
                "hits": hits,
                "local": local,
                "node": node,
                "status": status,
            }
        )
        if code is not UNSET:
            field_dict["code"] = code
        if latency_ms is not UNSET:
            field_dict["latency_ms"] = latency_ms
        if message is not UNSET:
            field_dict["message"] = message
        if reason is not UNSET:
            field_dict["reason"] = reason
        if total is not UNSET:
            field_dict["total"] = total

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        center = d.pop("center")

        hits = d.pop("hits")

        local = d.pop("local")

        node = d.pop("node")

        status = check_member_outcome(d.pop("status"))

        def _parse_code(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        code = _parse_code(d.pop("code", UNSET))

        def _parse_latency_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        latency_ms = _parse_latency_ms(d.pop("latency_ms", UNSET))

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_total(data: object) -> int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | str | Unset, data)

        total = _parse_total(d.pop("total", UNSET))

        node_report_body = cls(
            center=center,
            hits=hits,
            local=local,
            node=node,
            status=status,
            code=code,
            latency_ms=latency_ms,
            message=message,
            reason=reason,
            total=total,
        )

        node_report_body.additional_properties = d
        return node_report_body

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
