from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_detail_protocol import AcquisitionDetailProtocol


T = TypeVar("T", bound="AcquisitionDetail")


@_attrs_define
class AcquisitionDetail:
    """The acquisition (series) of a dataset.

    Attributes:
        id (str): Id (`aq_…`).
        modality (str): Modality.
        protocol (AcquisitionDetailProtocol): Acquisition parameters (TR, TE, TI, flip angle, field strength,
            geometry...).
        series_uid (str): De-identified SeriesInstanceUID.
        sop_class_uid (str): SOP class of its instances.
        protocol_name (None | str | Unset): ProtocolName (de-identified).
        series_description (None | str | Unset): SeriesDescription (de-identified).
        series_number (int | None | Unset): SeriesNumber.
    """

    id: str
    modality: str
    protocol: AcquisitionDetailProtocol
    series_uid: str
    sop_class_uid: str
    protocol_name: None | str | Unset = UNSET
    series_description: None | str | Unset = UNSET
    series_number: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        modality = self.modality

        protocol = self.protocol.to_dict()

        series_uid = self.series_uid

        sop_class_uid = self.sop_class_uid

        protocol_name: None | str | Unset
        if isinstance(self.protocol_name, Unset):
            protocol_name = UNSET
        else:
            protocol_name = self.protocol_name

        series_description: None | str | Unset
        if isinstance(self.series_description, Unset):
            series_description = UNSET
        else:
            series_description = self.series_description

        series_number: int | None | Unset
        if isinstance(self.series_number, Unset):
            series_number = UNSET
        else:
            series_number = self.series_number

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "modality": modality,
                "protocol": protocol,
                "series_uid": series_uid,
                "sop_class_uid": sop_class_uid,
            }
        )
        if protocol_name is not UNSET:
            field_dict["protocol_name"] = protocol_name
        if series_description is not UNSET:
            field_dict["series_description"] = series_description
        if series_number is not UNSET:
            field_dict["series_number"] = series_number

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acquisition_detail_protocol import AcquisitionDetailProtocol

        d = dict(src_dict)
        id = d.pop("id")

        modality = d.pop("modality")

        protocol = AcquisitionDetailProtocol.from_dict(d.pop("protocol"))

        series_uid = d.pop("series_uid")

        sop_class_uid = d.pop("sop_class_uid")

        def _parse_protocol_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        protocol_name = _parse_protocol_name(d.pop("protocol_name", UNSET))

        def _parse_series_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        series_description = _parse_series_description(
            d.pop("series_description", UNSET)
        )

        def _parse_series_number(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        series_number = _parse_series_number(d.pop("series_number", UNSET))

        acquisition_detail = cls(
            id=id,
            modality=modality,
            protocol=protocol,
            series_uid=series_uid,
            sop_class_uid=sop_class_uid,
            protocol_name=protocol_name,
            series_description=series_description,
            series_number=series_number,
        )

        acquisition_detail.additional_properties = d
        return acquisition_detail

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
