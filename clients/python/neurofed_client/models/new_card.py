from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="NewCard")


@_attrs_define
class NewCard:
    """`POST /studies/{id}/cards`.

    Attributes:
        toml (str): The card as TOML (the format of `neurofed studycard add`, docs/studycards.md).
    """

    toml: str

    def to_dict(self) -> dict[str, Any]:
        toml = self.toml

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "toml": toml,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        toml = d.pop("toml")

        new_card = cls(
            toml=toml,
        )

        return new_card
