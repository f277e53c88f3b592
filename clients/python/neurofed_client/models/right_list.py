from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.right_body import RightBody


T = TypeVar("T", bound="RightList")


@_attrs_define
class RightList:
    """`GET /studies/{id}/rights`.

    Attributes:
        rights (list[RightBody]): Every right recorded on the study (expired ones included).
    """

    rights: list[RightBody]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rights = []
        for rights_item_data in self.rights:
            rights_item = rights_item_data.to_dict()
            rights.append(rights_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rights": rights,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.right_body import RightBody

        d = dict(src_dict)
        rights = []
        _rights = d.pop("rights")
        for rights_item_data in _rights:
            rights_item = RightBody.from_dict(rights_item_data)

            rights.append(rights_item)

        right_list = cls(
            rights=rights,
        )

        right_list.additional_properties = d
        return right_list

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
