from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.grade import Grade, check_grade
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.study_ref import StudyRef


T = TypeVar("T", bound="SearchHit")


@_attrs_define
class SearchHit:
    """One dataset found: a summary, never patient data (subjects by pseudonym, dates shifted).

    Attributes:
        center (str): Acquisition center.
        content (str): Content id of the dataset's manifest (64 hex digits): `POST /fetch`.
        dataset (str): Its id on that node (`ds_…`): `GET /datasets/{id}`, `GET /datasets/{id}/download`.
        has_nifti (bool): Whether a NIfTI expression exists (`format=nifti` downloads).
        instances (int): DICOM instances.
        modality (str): DICOM modality.
        study (StudyRef): A study as other objects name it.
        subject (str): Subject pseudonym.
        contrast (None | str | Unset): Contrast from the study card.
        dims (list[int] | Unset): Image dimensions (columns, rows, slices[, frames]); absent when unknown.
        exam_date (datetime.date | None | Unset): Examination date (`YYYY-MM-DD`), shifted by de-identification.
        nature (None | str | Unset): Nature from the study card (`T1w`, `bold`...).
        node (None | str | Unset): The node holding it (its PeerId): in federated answers only.
        qc_grade (Grade | None | Unset):
        score (float | None | Unset): Relevance score.
        series_description (None | str | Unset): Series description (cleaned by de-identification).
    """

    center: str
    content: str
    dataset: str
    has_nifti: bool
    instances: int
    modality: str
    study: StudyRef
    subject: str
    contrast: None | str | Unset = UNSET
    dims: list[int] | Unset = UNSET
    exam_date: datetime.date | None | Unset = UNSET
    nature: None | str | Unset = UNSET
    node: None | str | Unset = UNSET
    qc_grade: Grade | None | Unset = UNSET
    score: float | None | Unset = UNSET
    series_description: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        center = self.center

        content = self.content

        dataset = self.dataset

        has_nifti = self.has_nifti

        instances = self.instances

        modality = self.modality

        study = self.study.to_dict()

        subject = self.subject

        contrast: None | str | Unset
        if isinstance(self.contrast, Unset):
            contrast = UNSET
        else:
            contrast = self.contrast

        dims: list[int] | Unset = UNSET
        if not isinstance(self.dims, Unset):
            dims = self.dims

        exam_date: None | str | Unset
        if isinstance(self.exam_date, Unset):
            exam_date = UNSET
        elif isinstance(self.exam_date, datetime.date):
            exam_date = self.exam_date.isoformat()
        else:
            exam_date = self.exam_date

        nature: None | str | Unset
        if isinstance(self.nature, Unset):
            nature = UNSET
        else:
            nature = self.nature

        node: None | str | Unset
        if isinstance(self.node, Unset):
            node = UNSET
        else:
            node = self.node

        qc_grade: None | str | Unset
        if isinstance(self.qc_grade, Unset):
            qc_grade = UNSET
        elif isinstance(self.qc_grade, str):
            qc_grade = self.qc_grade
        else:
            qc_grade = self.qc_grade

        score: float | None | Unset
        if isinstance(self.score, Unset):
            score = UNSET
        else:
            score = self.score

        series_description: None | str | Unset
        if isinstance(self.series_description, Unset):
            series_description = UNSET
        else:
            series_description = self.series_description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "center": center,
                "content": content,
                "dataset": dataset,
                "has_nifti": has_nifti,
                "instances": instances,
                "modality": modality,
                "study": study,
                "subject": subject,
            }
        )
        if contrast is not UNSET:
            field_dict["contrast"] = contrast
        if dims is not UNSET:
            field_dict["dims"] = dims
        if exam_date is not UNSET:
            field_dict["exam_date"] = exam_date
        if nature is not UNSET:
            field_dict["nature"] = nature
        if node is not UNSET:
            field_dict["node"] = node
        if qc_grade is not UNSET:
            field_dict["qc_grade"] = qc_grade
        if score is not UNSET:
            field_dict["score"] = score
        if series_description is not UNSET:
            field_dict["series_description"] = series_description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.study_ref import StudyRef

        d = dict(src_dict)
        center = d.pop("center")

        content = d.pop("content")

        dataset = d.pop("dataset")

        has_nifti = d.pop("has_nifti")

        instances = d.pop("instances")

        modality = d.pop("modality")

        study = StudyRef.from_dict(d.pop("study"))

        subject = d.pop("subject")

        def _parse_contrast(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        contrast = _parse_contrast(d.pop("contrast", UNSET))

        dims = cast(list[int], d.pop("dims", UNSET))

        def _parse_exam_date(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                exam_date_type_0 = datetime.date.fromisoformat(data)

                return exam_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        exam_date = _parse_exam_date(d.pop("exam_date", UNSET))

        def _parse_nature(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        nature = _parse_nature(d.pop("nature", UNSET))

        def _parse_node(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        node = _parse_node(d.pop("node", UNSET))

        def _parse_qc_grade(data: object) -> Grade | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                qc_grade_type_1 = check_grade(data)

                return qc_grade_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Grade | None | Unset, data)

        qc_grade = _parse_qc_grade(d.pop("qc_grade", UNSET))

        def _parse_score(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        score = _parse_score(d.pop("score", UNSET))

        def _parse_series_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        series_description = _parse_series_description(
            d.pop("series_description", UNSET)
        )

        search_hit = cls(
            center=center,
            content=content,
            dataset=dataset,
            has_nifti=has_nifti,
            instances=instances,
            modality=modality,
            study=study,
            subject=subject,
            contrast=contrast,
            dims=dims,
            exam_date=exam_date,
            nature=nature,
            node=node,
            qc_grade=qc_grade,
            score=score,
            series_description=series_description,
        )

        search_hit.additional_properties = d
        return search_hit

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
