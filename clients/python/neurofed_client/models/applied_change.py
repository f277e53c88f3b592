from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AppliedChange")


@_attrs_define
class AppliedChange:
    """One acquisition whose values changed.

    Attributes:
        acquisition (str): Acquisition id (`aq_…`).
        changes (list[str]): `field: before -> after`, one per changed field.
        grade (None | str | Unset): Its grade now.
        series_description (None | str | Unset): Its series description.
    """

    acquisition: str
    changes: list[str]
    grade: None | str | Unset = UNSET
    series_description: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acquisition = self.acquisition

        changes = self.changes

        grade: None | str | Unset
        if isinstance(self.grade, Unset):
            grade = UNSET
        else:
            grade = self.grade

        series_description: None | str | Unset
        if isinstance(self.series_description, Unset):
            series_description = UNSET
        else:
            series_description = self.series_description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisition": acquisition,
                "changes": changes,
            }
        )
        if grade is not UNSET:
            field_dict["grade"] = grade
        if series_description is not UNSET:
            field_dict["series_description"] = series_description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        acquisition = d.pop("acquisition")

        changes = cast(list[str], d.pop("changes"))

        def _parse_grade(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        grade = _parse_grade(d.pop("grade", UNSET))

        def _parse_series_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        series_description = _parse_series_description(
            d.pop("series_description", UNSET)
        )

        applied_change = cls(
            acquisition=acquisition,
            changes=changes,
            grade=grade,
            series_description=series_description,
        )

        applied_change.additional_properties = d
        return applied_change

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
