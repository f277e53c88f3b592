from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AgreementBody")


@_attrs_define
class AgreementBody:
    """A version of a data-use agreement.

    Attributes:
        set_at (int): When, unix seconds.
        set_by (str): Who set it.
        text (str): The text.
        version (int): Version, from 1.
    """

    set_at: int
    set_by: str
    text: str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        set_at = self.set_at

        set_by = self.set_by

        text = self.text

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "set_at": set_at,
                "set_by": set_by,
                "text": text,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        set_at = d.pop("set_at")

        set_by = d.pop("set_by")

        text = d.pop("text")

        version = d.pop("version")

        agreement_body = cls(
            set_at=set_at,
            set_by=set_by,
            text=text,
            version=version,
        )

        agreement_body.additional_properties = d
        return agreement_body

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
