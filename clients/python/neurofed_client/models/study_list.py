from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.study_summary import StudySummary


T = TypeVar("T", bound="StudyList")


@_attrs_define
class StudyList:
    """`GET /studies`.

    Attributes:
        studies (list[StudySummary]): Studies on which the caller holds at least one right, by name.
    """

    studies: list[StudySummary]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        studies = []
        for studies_item_data in self.studies:
            studies_item = studies_item_data.to_dict()
            studies.append(studies_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "studies": studies,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.study_summary import StudySummary

        d = dict(src_dict)
        studies = []
        _studies = d.pop("studies")
        for studies_item_data in _studies:
            studies_item = StudySummary.from_dict(studies_item_data)

            studies.append(studies_item)

        study_list = cls(
            studies=studies,
        )

        study_list.additional_properties = d
        return study_list

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
