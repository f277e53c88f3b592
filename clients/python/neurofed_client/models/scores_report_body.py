from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ScoresReportBody")


@_attrs_define
class ScoresReportBody:
    """What recording did (or, in a dry run, would do).

    Attributes:
        added (int): Assessments that did not exist.
        changed (int): Assessments whose values changed.
        dry_run (bool): Whether nothing was written.
        instrument (str): The instrument.
        rows (int): Rows taken.
        unchanged (int): Assessments already recorded with the same values.
    """

    added: int
    changed: int
    dry_run: bool
    instrument: str
    rows: int
    unchanged: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        added = self.added

        changed = self.changed

        dry_run = self.dry_run

        instrument = self.instrument

        rows = self.rows

        unchanged = self.unchanged

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "added": added,
                "changed": changed,
                "dry_run": dry_run,
                "instrument": instrument,
                "rows": rows,
                "unchanged": unchanged,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        added = d.pop("added")

        changed = d.pop("changed")

        dry_run = d.pop("dry_run")

        instrument = d.pop("instrument")

        rows = d.pop("rows")

        unchanged = d.pop("unchanged")

        scores_report_body = cls(
            added=added,
            changed=changed,
            dry_run=dry_run,
            instrument=instrument,
            rows=rows,
            unchanged=unchanged,
        )

        scores_report_body.additional_properties = d
        return scores_report_body

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
