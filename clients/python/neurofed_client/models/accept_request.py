from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="AcceptRequest")


@_attrs_define
class AcceptRequest:
    """`POST /studies/{id}/agreement/accept`.

    Attributes:
        version (int): The version shown to the user (must be the one in force).
    """

    version: int

    def to_dict(self) -> dict[str, Any]:
        version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        version = d.pop("version")

        accept_request = cls(
            version=version,
        )

        return accept_request
