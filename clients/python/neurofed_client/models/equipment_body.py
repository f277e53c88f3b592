from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EquipmentBody")


@_attrs_define
class EquipmentBody:
    """A scanner.

    Attributes:
        id (str): Id (`eq_…`).
        manufacturer (str): Manufacturer.
        model (str): Model.
        field_strength (float | None | Unset): Field strength, tesla.
    """

    id: str
    manufacturer: str
    model: str
    field_strength: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        manufacturer = self.manufacturer

        model = self.model

        field_strength: float | None | Unset
        if isinstance(self.field_strength, Unset):
            field_strength = UNSET
        else:
            field_strength = self.field_strength

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "manufacturer": manufacturer,
                "model": model,
            }
        )
        if field_strength is not UNSET:
            field_dict["field_strength"] = field_strength

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        manufacturer = d.pop("manufacturer")

        model = d.pop("model")

        def _parse_field_strength(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        field_strength = _parse_field_strength(d.pop("field_strength", UNSET))

        equipment_body = cls(
            id=id,
            manufacturer=manufacturer,
            model=model,
            field_strength=field_strength,
        )

        equipment_body.additional_properties = d
        return equipment_body

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
