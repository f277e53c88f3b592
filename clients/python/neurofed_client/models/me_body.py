from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.right_body import RightBody
    from ..models.user_body import UserBody


T = TypeVar("T", bound="MeBody")


@_attrs_define
class MeBody:
    """`GET /me`.

    Attributes:
        rights (list[RightBody]): Its per-study rights (expired ones included, with their dates).
        user (UserBody): An account.
    """

    rights: list[RightBody]
    user: UserBody
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rights = []
        for rights_item_data in self.rights:
            rights_item = rights_item_data.to_dict()
            rights.append(rights_item)

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rights": rights,
                "user": user,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.right_body import RightBody
        from ..models.user_body import UserBody

        d = dict(src_dict)
        rights = []
        _rights = d.pop("rights")
        for rights_item_data in _rights:
            rights_item = RightBody.from_dict(rights_item_data)

            rights.append(rights_item)

        user = UserBody.from_dict(d.pop("user"))

        me_body = cls(
            rights=rights,
            user=user,
        )

        me_body.additional_properties = d
        return me_body

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
