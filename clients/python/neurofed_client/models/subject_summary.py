from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SubjectSummary")


@_attrs_define
class SubjectSummary:
    """A subject, as a dataset names it.

    Attributes:
        id (str): Id (`su_…`).
        pseudonym (str): Pseudonym.
        birth_year (int | None | Unset): Birth year, when retained.
        sex (None | str | Unset): Sex, when retained.
        subject_type (None | str | Unset): Subject type, when set.
    """

    id: str
    pseudonym: str
    birth_year: int | None | Unset = UNSET
    sex: None | str | Unset = UNSET
    subject_type: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        pseudonym = self.pseudonym

        birth_year: int | None | Unset
        if isinstance(self.birth_year, Unset):
            birth_year = UNSET
        else:
            birth_year = self.birth_year

        sex: None | str | Unset
        if isinstance(self.sex, Unset):
            sex = UNSET
        else:
            sex = self.sex

        subject_type: None | str | Unset
        if isinstance(self.subject_type, Unset):
            subject_type = UNSET
        else:
            subject_type = self.subject_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "pseudonym": pseudonym,
            }
        )
        if birth_year is not UNSET:
            field_dict["birth_year"] = birth_year
        if sex is not UNSET:
            field_dict["sex"] = sex
        if subject_type is not UNSET:
            field_dict["subject_type"] = subject_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        pseudonym = d.pop("pseudonym")

        def _parse_birth_year(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        birth_year = _parse_birth_year(d.pop("birth_year", UNSET))

        def _parse_sex(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sex = _parse_sex(d.pop("sex", UNSET))

        def _parse_subject_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subject_type = _parse_subject_type(d.pop("subject_type", UNSET))

        subject_summary = cls(
            id=id,
            pseudonym=pseudonym,
            birth_year=birth_year,
            sex=sex,
            subject_type=subject_type,
        )

        subject_summary.additional_properties = d
        return subject_summary

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
