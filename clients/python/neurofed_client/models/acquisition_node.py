from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.dataset_node import DatasetNode


T = TypeVar("T", bound="AcquisitionNode")


@_attrs_define
class AcquisitionNode:
    """An acquisition (series) in the study tree.

    Attributes:
        datasets (list[DatasetNode]): Datasets.
        id (str): Id (`aq_…`).
        modality (str): DICOM modality.
        bids_datatype (None | str | Unset): BIDS datatype.
        grade (None | str | Unset): Quality grade.
        nature (None | str | Unset): Nature from the study card.
        series_description (None | str | Unset): SeriesDescription (de-identified).
        series_number (int | None | Unset): SeriesNumber.
    """

    datasets: list[DatasetNode]
    id: str
    modality: str
    bids_datatype: None | str | Unset = UNSET
    grade: None | str | Unset = UNSET
    nature: None | str | Unset = UNSET
    series_description: None | str | Unset = UNSET
    series_number: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datasets = []
        for datasets_item_data in self.datasets:
            datasets_item = datasets_item_data.to_dict()
            datasets.append(datasets_item)

        id = self.id

        modality = self.modality

        bids_datatype: None | str | Unset
        if isinstance(self.bids_datatype, Unset):
            bids_datatype = UNSET
        else:
            bids_datatype = self.bids_datatype

        grade: None | str | Unset
        if isinstance(self.grade, Unset):
            grade = UNSET
        else:
            grade = self.grade

        nature: None | str | Unset
        if isinstance(self.nature, Unset):
            nature = UNSET
        else:
            nature = self.nature

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
                "datasets": datasets,
                "id": id,
                "modality": modality,
            }
        )
        if bids_datatype is not UNSET:
            field_dict["bids_datatype"] = bids_datatype
        if grade is not UNSET:
            field_dict["grade"] = grade
        if nature is not UNSET:
            field_dict["nature"] = nature
        if series_description is not UNSET:
            field_dict["series_description"] = series_description
        if series_number is not UNSET:
            field_dict["series_number"] = series_number

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.dataset_node import DatasetNode

        d = dict(src_dict)
        datasets = []
        _datasets = d.pop("datasets")
        for datasets_item_data in _datasets:
            datasets_item = DatasetNode.from_dict(datasets_item_data)

            datasets.append(datasets_item)

        id = d.pop("id")

        modality = d.pop("modality")

        def _parse_bids_datatype(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        bids_datatype = _parse_bids_datatype(d.pop("bids_datatype", UNSET))

        def _parse_grade(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        grade = _parse_grade(d.pop("grade", UNSET))

        def _parse_nature(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        nature = _parse_nature(d.pop("nature", UNSET))

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

        acquisition_node = cls(
            datasets=datasets,
            id=id,
            modality=modality,
            bids_datatype=bids_datatype,
            grade=grade,
            nature=nature,
            series_description=series_description,
            series_number=series_number,
        )

        acquisition_node.additional_properties = d
        return acquisition_node

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
