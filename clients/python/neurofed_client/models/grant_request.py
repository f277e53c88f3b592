from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="GrantRequest")


@_attrs_define
class GrantRequest:
    """`PUT /studies/{id}/rights/{user}`: the user's rights on the study, replacing what it had.

    Attributes:
        rights (list[str]): Rights: `see`, `download`, `import`, `administer` (not empty).
        centers (list[str] | None | Unset): Only data of these centers (ids `ce_…`).
        until (None | str | Unset): Last valid day (UTC), `YYYY-MM-DD`.
    """

    rights: list[str]
    centers: list[str] | None | Unset = UNSET
    until: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        rights = self.rights

        centers: list[str] | None | Unset
        if isinstance(self.centers, Unset):
            centers = UNSET
        elif isinstance(self.centers, list):
            centers = self.centers

        else:
            centers = self.centers

        until: None | str | Unset
        if isinstance(self.until, Unset):
            until = UNSET
        else:
            until = self.until

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "rights": rights,
            }
        )
        if centers is not UNSET:
            field_dict["centers"] = centers
        if until is not UNSET:
            field_dict["until"] = until

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        rights = cast(list[str], d.pop("rights"))

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

        def _parse_until(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        until = _parse_until(d.pop("until", UNSET))

        grant_request = cls(
            rights=rights,
            centers=centers,
            until=until,
        )

        return grant_request
