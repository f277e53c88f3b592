from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.assessment_body_values import AssessmentBodyValues


T = TypeVar("T", bound="AssessmentBody")


@_attrs_define
class AssessmentBody:
    """One assessment in `GET /studies/{id}/scores`.

    Attributes:
        examination (str): The examination's id, empty at the subject level.
        participant_id (str): `sub-<pseudonym>`.
        session (str): `ses-YYYYMMDD` (shifted date), empty at the subject level.
        values (AssessmentBodyValues): Values by variable: numbers, codes as strings.
    """

    examination: str
    participant_id: str
    session: str
    values: AssessmentBodyValues
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        examination = self.examination

        participant_id = self.participant_id

        session = self.session

        values = self.values.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "examination": examination,
                "participant_id": participant_id,
                "session": session,
                "values": values,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.assessment_body_values import AssessmentBodyValues

        d = dict(src_dict)
        examination = d.pop("examination")

        participant_id = d.pop("participant_id")

        session = d.pop("session")

        values = AssessmentBodyValues.from_dict(d.pop("values"))

        assessment_body = cls(
            examination=examination,
            participant_id=participant_id,
            session=session,
            values=values,
        )

        assessment_body.additional_properties = d
        return assessment_body

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
