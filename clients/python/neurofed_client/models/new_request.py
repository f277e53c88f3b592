from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="NewRequest")


@_attrs_define
class NewRequest:
    """`POST /studies/{id}/requests`.

    Attributes:
        motivation (str): Why (shown to the study's administrators).
        rights (list[str]): Rights asked.
    """

    motivation: str
    rights: list[str]

    def to_dict(self) -> dict[str, Any]:
        motivation = self.motivation

        rights = self.rights

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "motivation": motivation,
                "rights": rights,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        motivation = d.pop("motivation")

        rights = cast(list[str], d.pop("rights"))

        new_request = cls(
            motivation=motivation,
            rights=rights,
        )

        return new_request
