from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ScopedKeysBody")


@_attrs_define
class ScopedKeysBody:
    """[`dicom::ScopedKeys`] as hex.

    Attributes:
        offset (str): Date offsets.
        pseudonym (str): Subject pseudonyms.
        serial (str): Device serial hashing.
        uid (str): UID remapping.
    """

    offset: str
    pseudonym: str
    serial: str
    uid: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        offset = self.offset

        pseudonym = self.pseudonym

        serial = self.serial

        uid = self.uid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "offset": offset,
                "pseudonym": pseudonym,
                "serial": serial,
                "uid": uid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        offset = d.pop("offset")

        pseudonym = d.pop("pseudonym")

        serial = d.pop("serial")

        uid = d.pop("uid")

        scoped_keys_body = cls(
            offset=offset,
            pseudonym=pseudonym,
            serial=serial,
            uid=uid,
        )

        scoped_keys_body.additional_properties = d
        return scoped_keys_body

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
