from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.assessment_row import AssessmentRow


T = TypeVar("T", bound="AssessmentRows")


@_attrs_define
class AssessmentRows:
    """`POST /studies/{id}/assessments` as JSON.

    Attributes:
        rows (list[AssessmentRow]): The rows; problems are reported as `row N` (from 1).
    """

    rows: list[AssessmentRow]

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "rows": rows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.assessment_row import AssessmentRow

        d = dict(src_dict)
        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = AssessmentRow.from_dict(rows_item_data)

            rows.append(rows_item)

        assessment_rows = cls(
            rows=rows,
        )

        return assessment_rows
