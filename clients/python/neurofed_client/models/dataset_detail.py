from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_detail import AcquisitionDetail
    from ..models.card_values import CardValues
    from ..models.dicom_info import DicomInfo
    from ..models.examination_summary import ExaminationSummary
    from ..models.nifti_info import NiftiInfo
    from ..models.provenance import Provenance
    from ..models.study_ref import StudyRef
    from ..models.subject_summary import SubjectSummary


T = TypeVar("T", bound="DatasetDetail")


@_attrs_define
class DatasetDetail:
    """`GET /datasets/{id}`.

    Attributes:
        acquisition (AcquisitionDetail): The acquisition (series) of a dataset.
        cards (CardValues): Study-card values of the acquisition.
        content (str): Content id (blake3 of the DICOM manifest).
        created_at (int): Created, unix seconds.
        dicom (DicomInfo): The DICOM expression.
        examination (ExaminationSummary): An examination, as a dataset names it.
        id (str): Id (`ds_…`).
        provenance (Provenance): Where a dataset comes from.
        study (StudyRef): A study as other objects name it.
        subject (SubjectSummary): A subject, as a dataset names it.
        updated_at (int): Last change, unix seconds.
        nifti (NiftiInfo | None | Unset):
        nifti_refusal (None | str | Unset): Why there is no NIfTI expression, when conversion was refused.
    """

    acquisition: AcquisitionDetail
    cards: CardValues
    content: str
    created_at: int
    dicom: DicomInfo
    examination: ExaminationSummary
    id: str
    provenance: Provenance
    study: StudyRef
    subject: SubjectSummary
    updated_at: int
    nifti: NiftiInfo | None | Unset = UNSET
    nifti_refusal: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.nifti_info import NiftiInfo

        acquisition = self.acquisition.to_dict()

        cards = self.cards.to_dict()

        content = self.content

        created_at = self.created_at

        dicom = self.dicom.to_dict()

        examination = self.examination.to_dict()

        id = self.id

        provenance = self.provenance.to_dict()

        study = self.study.to_dict()

        subject = self.subject.to_dict()

        updated_at = self.updated_at

        nifti: dict[str, Any] | None | Unset
        if isinstance(self.nifti, Unset):
            nifti = UNSET
        elif isinstance(self.nifti, NiftiInfo):
            nifti = self.nifti.to_dict()
        else:
            nifti = self.nifti

        nifti_refusal: None | str | Unset
        if isinstance(self.nifti_refusal, Unset):
            nifti_refusal = UNSET
        else:
            nifti_refusal = self.nifti_refusal

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisition": acquisition,
                "cards": cards,
                "content": content,
                "created_at": created_at,
                "dicom": dicom,
                "examination": examination,
                "id": id,
                "provenance": provenance,
                "study": study,
                "subject": subject,
                "updated_at": updated_at,
            }
        )
        if nifti is not UNSET:
            field_dict["nifti"] = nifti
        if nifti_refusal is not UNSET:
            field_dict["nifti_refusal"] = nifti_refusal

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acquisition_detail import AcquisitionDetail
        from ..models.card_values import CardValues
        from ..models.dicom_info import DicomInfo
        from ..models.examination_summary import ExaminationSummary
        from ..models.nifti_info import NiftiInfo
        from ..models.provenance import Provenance
        from ..models.study_ref import StudyRef
        from ..models.subject_summary import SubjectSummary

        d = dict(src_dict)
        acquisition = AcquisitionDetail.from_dict(d.pop("acquisition"))

        cards = CardValues.from_dict(d.pop("cards"))

        content = d.pop("content")

        created_at = d.pop("created_at")

        dicom = DicomInfo.from_dict(d.pop("dicom"))

        examination = ExaminationSummary.from_dict(d.pop("examination"))

        id = d.pop("id")

        provenance = Provenance.from_dict(d.pop("provenance"))

        study = StudyRef.from_dict(d.pop("study"))

        subject = SubjectSummary.from_dict(d.pop("subject"))

        updated_at = d.pop("updated_at")

        def _parse_nifti(data: object) -> NiftiInfo | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                nifti_type_1 = NiftiInfo.from_dict(data)

                return nifti_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(NiftiInfo | None | Unset, data)

        nifti = _parse_nifti(d.pop("nifti", UNSET))

        def _parse_nifti_refusal(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        nifti_refusal = _parse_nifti_refusal(d.pop("nifti_refusal", UNSET))

        dataset_detail = cls(
            acquisition=acquisition,
            cards=cards,
            content=content,
            created_at=created_at,
            dicom=dicom,
            examination=examination,
            id=id,
            provenance=provenance,
            study=study,
            subject=subject,
            updated_at=updated_at,
            nifti=nifti,
            nifti_refusal=nifti_refusal,
        )

        dataset_detail.additional_properties = d
        return dataset_detail

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
