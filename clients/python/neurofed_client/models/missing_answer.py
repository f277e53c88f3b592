from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MissingAnswer")


@_attrs_define
class MissingAnswer:
    """The answer to [`MissingRequest`]: blobs neither spooled nor imported, and blobs whose instance
    the study already holds (nothing to send or commit). The others are spooled.

        Attributes:
            imported (list[str]): Already imported.
            missing (list[str]): To send.
    """

    imported: list[str]
    missing: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        imported = self.imported

        missing = self.missing

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "imported": imported,
                "missing": missing,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        imported = cast(list[str], d.pop("imported"))

        missing = cast(list[str], d.pop("missing"))

        missing_answer = cls(
            imported=imported,
            missing=missing,
        )

        missing_answer.additional_properties = d
        return missing_answer

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
