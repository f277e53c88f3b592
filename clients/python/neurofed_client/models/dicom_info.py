from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DicomInfo")


@_attrs_define
class DicomInfo:
    """The DICOM expression.

    Attributes:
        bytes_ (int): Bytes of the instances.
        instances (int): Instances.
        manifest (str): Content id of the manifest.
    """

    bytes_: int
    instances: int
    manifest: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        instances = self.instances

        manifest = self.manifest

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "instances": instances,
                "manifest": manifest,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        instances = d.pop("instances")

        manifest = d.pop("manifest")

        dicom_info = cls(
            bytes_=bytes_,
            instances=instances,
            manifest=manifest,
        )

        dicom_info.additional_properties = d
        return dicom_info

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
