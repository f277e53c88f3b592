from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.study_summary import StudySummary
    from ..models.subject_node import SubjectNode


T = TypeVar("T", bound="StudyTree")


@_attrs_define
class StudyTree:
    """`GET /studies/{id}`.

    Attributes:
        limit (int): Subjects asked.
        offset (int): Subjects skipped.
        study (StudySummary): A study in listings.
        subjects (list[SubjectNode]): This page of subjects, oldest first.
        next_offset (int | None | Unset): The next page's offset, when there may be more subjects.
        subjects_total (int | None | Unset): Subjects in the study (omitted when the caller sees only some centers).
    """

    limit: int
    offset: int
    study: StudySummary
    subjects: list[SubjectNode]
    next_offset: int | None | Unset = UNSET
    subjects_total: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limit = self.limit

        offset = self.offset

        study = self.study.to_dict()

        subjects = []
        for subjects_item_data in self.subjects:
            subjects_item = subjects_item_data.to_dict()
            subjects.append(subjects_item)

        next_offset: int | None | Unset
        if isinstance(self.next_offset, Unset):
            next_offset = UNSET
        else:
            next_offset = self.next_offset

        subjects_total: int | None | Unset
        if isinstance(self.subjects_total, Unset):
            subjects_total = UNSET
        else:
            subjects_total = self.subjects_total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limit": limit,
                "offset": offset,
                "study": study,
                "subjects": subjects,
            }
        )
        if next_offset is not UNSET:
            field_dict["next_offset"] = next_offset
        if subjects_total is not UNSET:
            field_dict["subjects_total"] = subjects_total

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.study_summary import StudySummary
        from ..models.subject_node import SubjectNode

        d = dict(src_dict)
        limit = d.pop("limit")

        offset = d.pop("offset")

        study = StudySummary.from_dict(d.pop("study"))

        subjects = []
        _subjects = d.pop("subjects")
        for subjects_item_data in _subjects:
            subjects_item = SubjectNode.from_dict(subjects_item_data)

            subjects.append(subjects_item)

        def _parse_next_offset(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        next_offset = _parse_next_offset(d.pop("next_offset", UNSET))

        def _parse_subjects_total(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        subjects_total = _parse_subjects_total(d.pop("subjects_total", UNSET))

        study_tree = cls(
            limit=limit,
            offset=offset,
            study=study,
            subjects=subjects,
            next_offset=next_offset,
            subjects_total=subjects_total,
        )

        study_tree.additional_properties = d
        return study_tree

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
