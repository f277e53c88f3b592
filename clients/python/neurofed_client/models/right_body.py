from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RightBody")


@_attrs_define
class RightBody:
    """A user's rights on a study.

    Attributes:
        granted_at (int): When, unix seconds.
        granted_by (str): Who granted it.
        rights (list[str]): Rights: `see`, `download`, `import`, `administer`.
        study (str): Study id.
        user (str): Login name.
        centers (list[str] | None | Unset): Only data of these centers (ids); none: all centers.
        until (None | str | Unset): Last valid day (UTC), inclusive.
    """

    granted_at: int
    granted_by: str
    rights: list[str]
    study: str
    user: str
    centers: list[str] | None | Unset = UNSET
    until: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        granted_at = self.granted_at

        granted_by = self.granted_by

        rights = self.rights

        study = self.study

        user = self.user

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
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "granted_at": granted_at,
                "granted_by": granted_by,
                "rights": rights,
                "study": study,
                "user": user,
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
        granted_at = d.pop("granted_at")

        granted_by = d.pop("granted_by")

        rights = cast(list[str], d.pop("rights"))

        study = d.pop("study")

        user = d.pop("user")

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

        right_body = cls(
            granted_at=granted_at,
            granted_by=granted_by,
            rights=rights,
            study=study,
            user=user,
            centers=centers,
            until=until,
        )

        right_body.additional_properties = d
        return right_body

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
