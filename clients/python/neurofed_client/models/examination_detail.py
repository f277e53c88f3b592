from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.examination_node import ExaminationNode
    from ..models.score_entry import ScoreEntry
    from ..models.study_ref import StudyRef
    from ..models.subject_summary import SubjectSummary


T = TypeVar("T", bound="ExaminationDetail")


@_attrs_define
class ExaminationDetail:
    """`GET /examinations/{id}`.

    Attributes:
        examination (ExaminationNode): An examination in the study tree.
        scores (list[ScoreEntry]): Clinical scores recorded at this examination.
        study (StudyRef): A study as other objects name it.
        subject (SubjectSummary): A subject, as a dataset names it.
        comment (None | str | Unset): The examination's comment.
    """

    examination: ExaminationNode
    scores: list[ScoreEntry]
    study: StudyRef
    subject: SubjectSummary
    comment: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        examination = self.examination.to_dict()

        scores = []
        for scores_item_data in self.scores:
            scores_item = scores_item_data.to_dict()
            scores.append(scores_item)

        study = self.study.to_dict()

        subject = self.subject.to_dict()

        comment: None | str | Unset
        if isinstance(self.comment, Unset):
            comment = UNSET
        else:
            comment = self.comment

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "examination": examination,
                "scores": scores,
                "study": study,
                "subject": subject,
            }
        )
        if comment is not UNSET:
            field_dict["comment"] = comment

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.examination_node import ExaminationNode
        from ..models.score_entry import ScoreEntry
        from ..models.study_ref import StudyRef
        from ..models.subject_summary import SubjectSummary

        d = dict(src_dict)
        examination = ExaminationNode.from_dict(d.pop("examination"))

        scores = []
        _scores = d.pop("scores")
        for scores_item_data in _scores:
            scores_item = ScoreEntry.from_dict(scores_item_data)

            scores.append(scores_item)

        study = StudyRef.from_dict(d.pop("study"))

        subject = SubjectSummary.from_dict(d.pop("subject"))

        def _parse_comment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        comment = _parse_comment(d.pop("comment", UNSET))

        examination_detail = cls(
            examination=examination,
            scores=scores,
            study=study,
            subject=subject,
            comment=comment,
        )

        examination_detail.additional_properties = d
        return examination_detail

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
