from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DatasetNode")


@_attrs_define
class DatasetNode:
    """A dataset in the study tree.

    Attributes:
        bytes_ (int): Bytes of the DICOM instances.
        content (str): Content id (blake3 of its DICOM manifest).
        has_nifti (bool): Whether a NIfTI expression exists.
        id (str): Id (`ds_…`).
        instances (int): DICOM instances.
    """

    bytes_: int
    content: str
    has_nifti: bool
    id: str
    instances: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        content = self.content

        has_nifti = self.has_nifti

        id = self.id

        instances = self.instances

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "content": content,
                "has_nifti": has_nifti,
                "id": id,
                "instances": instances,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        content = d.pop("content")

        has_nifti = d.pop("has_nifti")

        id = d.pop("id")

        instances = d.pop("instances")

        dataset_node = cls(
            bytes_=bytes_,
            content=content,
            has_nifti=has_nifti,
            id=id,
            instances=instances,
        )

        dataset_node.additional_properties = d
        return dataset_node

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
