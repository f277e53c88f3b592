from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserBody")


@_attrs_define
class UserBody:
    """An account.

    Attributes:
        created_at (int): Created, unix seconds.
        disabled (bool): A disabled account cannot log in and has no rights.
        display_name (str): Display name.
        id (str): Id (`us_…`).
        name (str): Login name.
        role (str): `admin` or `user`.
        email (None | str | Unset): Contact address.
    """

    created_at: int
    disabled: bool
    display_name: str
    id: str
    name: str
    role: str
    email: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        disabled = self.disabled

        display_name = self.display_name

        id = self.id

        name = self.name

        role = self.role

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "disabled": disabled,
                "display_name": display_name,
                "id": id,
                "name": name,
                "role": role,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        disabled = d.pop("disabled")

        display_name = d.pop("display_name")

        id = d.pop("id")

        name = d.pop("name")

        role = d.pop("role")

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        user_body = cls(
            created_at=created_at,
            disabled=disabled,
            display_name=display_name,
            id=id,
            name=name,
            role=role,
            email=email,
        )

        user_body.additional_properties = d
        return user_body

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
