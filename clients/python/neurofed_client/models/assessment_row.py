from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.assessment_row_values import AssessmentRowValues


T = TypeVar("T", bound="AssessmentRow")


@_attrs_define
class AssessmentRow:
    """One row of `POST /studies/{id}/assessments` as JSON.

    Attributes:
        subject (str): The subject's pseudonym (`sub-` prefix allowed).
        examination (None | str | Unset): The examination's id (`ex_…`), instead of or with `session`.
        session (None | str | Unset): The examination's shifted date (`ses-YYYYMMDD`, `YYYY-MM-DD`, `YYYYMMDD`); none:
            the
            subject level.
        values (AssessmentRowValues | Unset): Values by variable name: numbers, or codes as strings.
    """

    subject: str
    examination: None | str | Unset = UNSET
    session: None | str | Unset = UNSET
    values: AssessmentRowValues | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        subject = self.subject

        examination: None | str | Unset
        if isinstance(self.examination, Unset):
            examination = UNSET
        else:
            examination = self.examination

        session: None | str | Unset
        if isinstance(self.session, Unset):
            session = UNSET
        else:
            session = self.session

        values: dict[str, Any] | Unset = UNSET
        if not isinstance(self.values, Unset):
            values = self.values.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "subject": subject,
            }
        )
        if examination is not UNSET:
            field_dict["examination"] = examination
        if session is not UNSET:
            field_dict["session"] = session
        if values is not UNSET:
            field_dict["values"] = values

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.assessment_row_values import AssessmentRowValues

        d = dict(src_dict)
        subject = d.pop("subject")

        def _parse_examination(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        examination = _parse_examination(d.pop("examination", UNSET))

        def _parse_session(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session = _parse_session(d.pop("session", UNSET))

        _values = d.pop("values", UNSET)
        values: AssessmentRowValues | Unset
        if isinstance(_values, Unset):
            values = UNSET
        else:
            values = AssessmentRowValues.from_dict(_values)

        assessment_row = cls(
            subject=subject,
            examination=examination,
            session=session,
            values=values,
        )

        return assessment_row
