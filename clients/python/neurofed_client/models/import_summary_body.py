from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.import_summary_body_quarantine_reasons import (
        ImportSummaryBodyQuarantineReasons,
    )
    from ..models.skipped_body import SkippedBody


T = TypeVar("T", bound="ImportSummaryBody")


@_attrs_define
class ImportSummaryBody:
    """The import summary (the object `neurofed import --json` prints).

    Attributes:
        duplicates (int): Instances already present (in the node or earlier in this import).
        examinations (int): Examinations that received new instances.
        files (int): Inputs seen (files and archive entries), whatever became of them.
        instances (int): Instances newly stored.
        nifti (int): Series converted to NIfTI by this import.
        nifti_refused (int): Series whose NIfTI conversion was refused (the reason is on the dataset).
        quarantine_reasons (ImportSummaryBodyQuarantineReasons): The quarantined instances by reason (counts, no
            values).
        quarantined (int): Instances quarantined for their pixels (stored apart, not in the datasets).
        removed_unlisted (int): Public attributes removed because neither Table E.1-1 nor the keep-list names them.
        seconds (float): Wall time of the import itself, seconds.
        series (int): Series that received new instances.
        skipped (list[SkippedBody]): Inputs not imported, with the reason.
        subjects (int): Subjects that received new instances.
    """

    duplicates: int
    examinations: int
    files: int
    instances: int
    nifti: int
    nifti_refused: int
    quarantine_reasons: ImportSummaryBodyQuarantineReasons
    quarantined: int
    removed_unlisted: int
    seconds: float
    series: int
    skipped: list[SkippedBody]
    subjects: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duplicates = self.duplicates

        examinations = self.examinations

        files = self.files

        instances = self.instances

        nifti = self.nifti

        nifti_refused = self.nifti_refused

        quarantine_reasons = self.quarantine_reasons.to_dict()

        quarantined = self.quarantined

        removed_unlisted = self.removed_unlisted

        seconds = self.seconds

        series = self.series

        skipped = []
        for skipped_item_data in self.skipped:
            skipped_item = skipped_item_data.to_dict()
            skipped.append(skipped_item)

        subjects = self.subjects

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duplicates": duplicates,
                "examinations": examinations,
                "files": files,
                "instances": instances,
                "nifti": nifti,
                "nifti_refused": nifti_refused,
                "quarantine_reasons": quarantine_reasons,
                "quarantined": quarantined,
                "removed_unlisted": removed_unlisted,
                "seconds": seconds,
                "series": series,
                "skipped": skipped,
                "subjects": subjects,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.import_summary_body_quarantine_reasons import (
            ImportSummaryBodyQuarantineReasons,
        )
        from ..models.skipped_body import SkippedBody

        d = dict(src_dict)
        duplicates = d.pop("duplicates")

        examinations = d.pop("examinations")

        files = d.pop("files")

        instances = d.pop("instances")

        nifti = d.pop("nifti")

        nifti_refused = d.pop("nifti_refused")

        quarantine_reasons = ImportSummaryBodyQuarantineReasons.from_dict(
            d.pop("quarantine_reasons")
        )

        quarantined = d.pop("quarantined")

        removed_unlisted = d.pop("removed_unlisted")

        seconds = d.pop("seconds")

        series = d.pop("series")

        skipped = []
        _skipped = d.pop("skipped")
        for skipped_item_data in _skipped:
            skipped_item = SkippedBody.from_dict(skipped_item_data)

            skipped.append(skipped_item)

        subjects = d.pop("subjects")

        import_summary_body = cls(
            duplicates=duplicates,
            examinations=examinations,
            files=files,
            instances=instances,
            nifti=nifti,
            nifti_refused=nifti_refused,
            quarantine_reasons=quarantine_reasons,
            quarantined=quarantined,
            removed_unlisted=removed_unlisted,
            seconds=seconds,
            series=series,
            skipped=skipped,
            subjects=subjects,
        )

        import_summary_body.additional_properties = d
        return import_summary_body

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
