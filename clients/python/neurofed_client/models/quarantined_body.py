from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QuarantinedBody")


@_attrs_define
class QuarantinedBody:
    """One quarantined instance (every value from its de-identified header).

    Attributes:
        at (int): When it was quarantined, unix seconds.
        id (str): Its id (16 hex digits).
        pseudonym (str): The subject's pseudonym.
        reason (str): Why: `burned_in_annotation`, `secondary_capture`, `screen_save`, `derived`, `converted`,
            `encapsulated_document`, `compressed_pixels` or `unsupported_pixels`.
        series_uid (str): De-identified SeriesInstanceUID.
        sop_instance_uid (str): De-identified SOPInstanceUID.
        study (str): Study id.
        modality (None | str | Unset): Modality.
    """

    at: int
    id: str
    pseudonym: str
    reason: str
    series_uid: str
    sop_instance_uid: str
    study: str
    modality: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at

        id = self.id

        pseudonym = self.pseudonym

        reason = self.reason

        series_uid = self.series_uid

        sop_instance_uid = self.sop_instance_uid

        study = self.study

        modality: None | str | Unset
        if isinstance(self.modality, Unset):
            modality = UNSET
        else:
            modality = self.modality

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "id": id,
                "pseudonym": pseudonym,
                "reason": reason,
                "series_uid": series_uid,
                "sop_instance_uid": sop_instance_uid,
                "study": study,
            }
        )
        if modality is not UNSET:
            field_dict["modality"] = modality

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = d.pop("at")

        id = d.pop("id")

        pseudonym = d.pop("pseudonym")

        reason = d.pop("reason")

        series_uid = d.pop("series_uid")

        sop_instance_uid = d.pop("sop_instance_uid")

        study = d.pop("study")

        def _parse_modality(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        modality = _parse_modality(d.pop("modality", UNSET))

        quarantined_body = cls(
            at=at,
            id=id,
            pseudonym=pseudonym,
            reason=reason,
            series_uid=series_uid,
            sop_instance_uid=sop_instance_uid,
            study=study,
            modality=modality,
        )

        quarantined_body.additional_properties = d
        return quarantined_body

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
