from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.assessment_body import AssessmentBody
    from ..models.instrument_body import InstrumentBody
    from ..models.study_ref import StudyRef


T = TypeVar("T", bound="ScoresBody")


@_attrs_define
class ScoresBody:
    """`GET /studies/{id}/scores` as JSON.

    Attributes:
        assessments (list[AssessmentBody]): Its assessments, by subject and session.
        instrument (InstrumentBody): An instrument definition, as `neurofed scores instrument add` reads it from TOML.
        study (StudyRef): A study as other objects name it.
    """

    assessments: list[AssessmentBody]
    instrument: InstrumentBody
    study: StudyRef
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        assessments = []
        for assessments_item_data in self.assessments:
            assessments_item = assessments_item_data.to_dict()
            assessments.append(assessments_item)

        instrument = self.instrument.to_dict()

        study = self.study.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "assessments": assessments,
                "instrument": instrument,
                "study": study,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.assessment_body import AssessmentBody
        from ..models.instrument_body import InstrumentBody
        from ..models.study_ref import StudyRef

        d = dict(src_dict)
        assessments = []
        _assessments = d.pop("assessments")
        for assessments_item_data in _assessments:
            assessments_item = AssessmentBody.from_dict(assessments_item_data)

            assessments.append(assessments_item)

        instrument = InstrumentBody.from_dict(d.pop("instrument"))

        study = StudyRef.from_dict(d.pop("study"))

        scores_body = cls(
            assessments=assessments,
            instrument=instrument,
            study=study,
        )

        scores_body.additional_properties = d
        return scores_body

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
