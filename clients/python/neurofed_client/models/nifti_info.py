from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NiftiInfo")


@_attrs_define
class NiftiInfo:
    """The NIfTI expression.

    Attributes:
        bytes_ (int): Bytes of the image.
        gzip (bool): `.nii.gz` (else `.nii`).
        shape (list[int]): Volume shape (x, y, z[, t]).
        sidecar_bytes (int): Bytes of the JSON sidecar.
    """

    bytes_: int
    gzip: bool
    shape: list[int]
    sidecar_bytes: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        gzip = self.gzip

        shape = self.shape

        sidecar_bytes = self.sidecar_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "gzip": gzip,
                "shape": shape,
                "sidecar_bytes": sidecar_bytes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        gzip = d.pop("gzip")

        shape = cast(list[int], d.pop("shape"))

        sidecar_bytes = d.pop("sidecar_bytes")

        nifti_info = cls(
            bytes_=bytes_,
            gzip=gzip,
            shape=shape,
            sidecar_bytes=sidecar_bytes,
        )

        nifti_info.additional_properties = d
        return nifti_info

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
