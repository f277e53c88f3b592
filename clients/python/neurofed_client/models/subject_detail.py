from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.examination_node import ExaminationNode
    from ..models.score_entry import ScoreEntry
    from ..models.study_ref import StudyRef
    from ..models.subject_summary import SubjectSummary


T = TypeVar("T", bound="SubjectDetail")


@_attrs_define
class SubjectDetail:
    """`GET /subjects/{id}`.

    Attributes:
        examinations (list[ExaminationNode]): Its examinations the caller may see, with their acquisitions and datasets.
        scores (list[ScoreEntry]): Its clinical scores the caller may see.
        study (StudyRef): A study as other objects name it.
        subject (SubjectSummary): A subject, as a dataset names it.
    """

    examinations: list[ExaminationNode]
    scores: list[ScoreEntry]
    study: StudyRef
    subject: SubjectSummary
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        examinations = []
        for examinations_item_data in self.examinations:
            examinations_item = examinations_item_data.to_dict()
            examinations.append(examinations_item)

        scores = []
        for scores_item_data in self.scores:
            scores_item = scores_item_data.to_dict()
            scores.append(scores_item)

        study = self.study.to_dict()

        subject = self.subject.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "examinations": examinations,
                "scores": scores,
                "study": study,
                "subject": subject,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.examination_node import ExaminationNode
        from ..models.score_entry import ScoreEntry
        from ..models.study_ref import StudyRef
        from ..models.subject_summary import SubjectSummary

        d = dict(src_dict)
        examinations = []
        _examinations = d.pop("examinations")
        for examinations_item_data in _examinations:
            examinations_item = ExaminationNode.from_dict(examinations_item_data)

            examinations.append(examinations_item)

        scores = []
        _scores = d.pop("scores")
        for scores_item_data in _scores:
            scores_item = ScoreEntry.from_dict(scores_item_data)

            scores.append(scores_item)

        study = StudyRef.from_dict(d.pop("study"))

        subject = SubjectSummary.from_dict(d.pop("subject"))

        subject_detail = cls(
            examinations=examinations,
            scores=scores,
            study=study,
            subject=subject,
        )

        subject_detail.additional_properties = d
        return subject_detail

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
