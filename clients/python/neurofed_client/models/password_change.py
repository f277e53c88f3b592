from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="PasswordChange")


@_attrs_define
class PasswordChange:
    """`POST /me/password`.

    Attributes:
        current (str): The password in use.
        new (str): The new one (at least 12 characters).
    """

    current: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        current = self.current

        new = self.new

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "current": current,
                "new": new,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        current = d.pop("current")

        new = d.pop("new")

        password_change = cls(
            current=current,
            new=new,
        )

        return password_change
