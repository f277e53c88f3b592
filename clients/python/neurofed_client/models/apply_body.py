from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.applied_change import AppliedChange


T = TypeVar("T", bound="ApplyBody")


@_attrs_define
class ApplyBody:
    """`POST /studies/{id}/cards/apply`.

    Attributes:
        acquisitions (int): Acquisitions evaluated.
        changed (list[AppliedChange]): Those whose values changed.
    """

    acquisitions: int
    changed: list[AppliedChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acquisitions = self.acquisitions

        changed = []
        for changed_item_data in self.changed:
            changed_item = changed_item_data.to_dict()
            changed.append(changed_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisitions": acquisitions,
                "changed": changed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.applied_change import AppliedChange

        d = dict(src_dict)
        acquisitions = d.pop("acquisitions")

        changed = []
        _changed = d.pop("changed")
        for changed_item_data in _changed:
            changed_item = AppliedChange.from_dict(changed_item_data)

            changed.append(changed_item)

        apply_body = cls(
            acquisitions=acquisitions,
            changed=changed,
        )

        apply_body.additional_properties = d
        return apply_body

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
