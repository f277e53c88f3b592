from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.center_ref import CenterRef
    from ..models.equipment_body import EquipmentBody


T = TypeVar("T", bound="ExaminationSummary")


@_attrs_define
class ExaminationSummary:
    """An examination, as a dataset names it.

    Attributes:
        center (CenterRef): A center.
        id (str): Id (`ex_…`).
        study_uid (str): De-identified StudyInstanceUID.
        age_years (float | None | Unset): Age at examination, years.
        comment (None | str | Unset): Comment.
        date (None | str | Unset): Date (shifted).
        equipment (EquipmentBody | None | Unset):
    """

    center: CenterRef
    id: str
    study_uid: str
    age_years: float | None | Unset = UNSET
    comment: None | str | Unset = UNSET
    date: None | str | Unset = UNSET
    equipment: EquipmentBody | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.equipment_body import EquipmentBody

        center = self.center.to_dict()

        id = self.id

        study_uid = self.study_uid

        age_years: float | None | Unset
        if isinstance(self.age_years, Unset):
            age_years = UNSET
        else:
            age_years = self.age_years

        comment: None | str | Unset
        if isinstance(self.comment, Unset):
            comment = UNSET
        else:
            comment = self.comment

        date: None | str | Unset
        if isinstance(self.date, Unset):
            date = UNSET
        else:
            date = self.date

        equipment: dict[str, Any] | None | Unset
        if isinstance(self.equipment, Unset):
            equipment = UNSET
        elif isinstance(self.equipment, EquipmentBody):
            equipment = self.equipment.to_dict()
        else:
            equipment = self.equipment

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "center": center,
                "id": id,
                "study_uid": study_uid,
            }
        )
        if age_years is not UNSET:
            field_dict["age_years"] = age_years
        if comment is not UNSET:
            field_dict["comment"] = comment
        if date is not UNSET:
            field_dict["date"] = date
        if equipment is not UNSET:
            field_dict["equipment"] = equipment

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.center_ref import CenterRef
        from ..models.equipment_body import EquipmentBody

        d = dict(src_dict)
        center = CenterRef.from_dict(d.pop("center"))

        id = d.pop("id")

        study_uid = d.pop("study_uid")

        def _parse_age_years(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        age_years = _parse_age_years(d.pop("age_years", UNSET))

        def _parse_comment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        comment = _parse_comment(d.pop("comment", UNSET))

        def _parse_date(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        date = _parse_date(d.pop("date", UNSET))

        def _parse_equipment(data: object) -> EquipmentBody | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                equipment_type_1 = EquipmentBody.from_dict(data)

                return equipment_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EquipmentBody | None | Unset, data)

        equipment = _parse_equipment(d.pop("equipment", UNSET))

        examination_summary = cls(
            center=center,
            id=id,
            study_uid=study_uid,
            age_years=age_years,
            comment=comment,
            date=date,
            equipment=equipment,
        )

        examination_summary.additional_properties = d
        return examination_summary

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
