from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Provenance")


@_attrs_define
class Provenance:
    """Where a dataset comes from.

    Attributes:
        deidentification_profile (str): The de-identification profile it was imported with (the study's).
        imported_at (int): Imported, unix seconds.
    """

    deidentification_profile: str
    imported_at: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deidentification_profile = self.deidentification_profile

        imported_at = self.imported_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deidentification_profile": deidentification_profile,
                "imported_at": imported_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        deidentification_profile = d.pop("deidentification_profile")

        imported_at = d.pop("imported_at")

        provenance = cls(
            deidentification_profile=deidentification_profile,
            imported_at=imported_at,
        )

        provenance.additional_properties = d
        return provenance

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
