from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RequestBody")


@_attrs_define
class RequestBody:
    """An access request.

    Attributes:
        created_at (int): Submitted, unix seconds.
        id (str): Id (`rq_…`).
        motivation (str): Why.
        new_account (bool): Whether the account itself awaits approval.
        rights (list[str]): Rights asked.
        status (str): `pending`, `approved` or `refused`.
        study (str): Study id.
        user (str): Who asks.
        decided_at (int | None | Unset): When.
        decided_by (None | str | Unset): Who decided.
        reason (None | str | Unset): The decider's reason.
    """

    created_at: int
    id: str
    motivation: str
    new_account: bool
    rights: list[str]
    status: str
    study: str
    user: str
    decided_at: int | None | Unset = UNSET
    decided_by: None | str | Unset = UNSET
    reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        id = self.id

        motivation = self.motivation

        new_account = self.new_account

        rights = self.rights

        status = self.status

        study = self.study

        user = self.user

        decided_at: int | None | Unset
        if isinstance(self.decided_at, Unset):
            decided_at = UNSET
        else:
            decided_at = self.decided_at

        decided_by: None | str | Unset
        if isinstance(self.decided_by, Unset):
            decided_by = UNSET
        else:
            decided_by = self.decided_by

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "motivation": motivation,
                "new_account": new_account,
                "rights": rights,
                "status": status,
                "study": study,
                "user": user,
            }
        )
        if decided_at is not UNSET:
            field_dict["decided_at"] = decided_at
        if decided_by is not UNSET:
            field_dict["decided_by"] = decided_by
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        id = d.pop("id")

        motivation = d.pop("motivation")

        new_account = d.pop("new_account")

        rights = cast(list[str], d.pop("rights"))

        status = d.pop("status")

        study = d.pop("study")

        user = d.pop("user")

        def _parse_decided_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        decided_at = _parse_decided_at(d.pop("decided_at", UNSET))

        def _parse_decided_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        decided_by = _parse_decided_by(d.pop("decided_by", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        request_body = cls(
            created_at=created_at,
            id=id,
            motivation=motivation,
            new_account=new_account,
            rights=rights,
            status=status,
            study=study,
            user=user,
            decided_at=decided_at,
            decided_by=decided_by,
            reason=reason,
        )

        request_body.additional_properties = d
        return request_body

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
