from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ApproveRequest")


@_attrs_define
class ApproveRequest:
    """`POST /requests/{id}/approve` (optional body).

    Attributes:
        centers (list[str] | None | Unset): Only data of these centers.
        reason (None | str | Unset): Shown to the requester.
        rights (list[str] | None | Unset): Rights to grant (default: those asked).
        until (None | str | Unset): Last valid day, `YYYY-MM-DD`.
    """

    centers: list[str] | None | Unset = UNSET
    reason: None | str | Unset = UNSET
    rights: list[str] | None | Unset = UNSET
    until: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        centers: list[str] | None | Unset
        if isinstance(self.centers, Unset):
            centers = UNSET
        elif isinstance(self.centers, list):
            centers = self.centers

        else:
            centers = self.centers

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        rights: list[str] | None | Unset
        if isinstance(self.rights, Unset):
            rights = UNSET
        elif isinstance(self.rights, list):
            rights = self.rights

        else:
            rights = self.rights

        until: None | str | Unset
        if isinstance(self.until, Unset):
            until = UNSET
        else:
            until = self.until

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if centers is not UNSET:
            field_dict["centers"] = centers
        if reason is not UNSET:
            field_dict["reason"] = reason
        if rights is not UNSET:
            field_dict["rights"] = rights
        if until is not UNSET:
            field_dict["until"] = until

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_centers(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                centers_type_0 = cast(list[str], data)

                return centers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        centers = _parse_centers(d.pop("centers", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_rights(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                rights_type_0 = cast(list[str], data)

                return rights_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        rights = _parse_rights(d.pop("rights", UNSET))

        def _parse_until(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        until = _parse_until(d.pop("until", UNSET))

        approve_request = cls(
            centers=centers,
            reason=reason,
            rights=rights,
            until=until,
        )

        return approve_request
