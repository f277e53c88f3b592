from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.variable_body import VariableBody


T = TypeVar("T", bound="InstrumentBody")


@_attrs_define
class InstrumentBody:
    """An instrument definition, as `neurofed scores instrument add` reads it from TOML.

    Attributes:
        acronym (str): Acronym, the instrument's key (`EDSS`): letters, digits, `-` and `_`.
        name (str): Full name.
        variables (list[VariableBody]): Its variables, at least one.
        description (None | str | Unset): What it is, its reference.
    """

    acronym: str
    name: str
    variables: list[VariableBody]
    description: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        acronym = self.acronym

        name = self.name

        variables = []
        for variables_item_data in self.variables:
            variables_item = variables_item_data.to_dict()
            variables.append(variables_item)

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "acronym": acronym,
                "name": name,
                "variables": variables,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.variable_body import VariableBody

        d = dict(src_dict)
        acronym = d.pop("acronym")

        name = d.pop("name")

        variables = []
        _variables = d.pop("variables")
        for variables_item_data in _variables:
            variables_item = VariableBody.from_dict(variables_item_data)

            variables.append(variables_item)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        instrument_body = cls(
            acronym=acronym,
            name=name,
            variables=variables,
            description=description,
        )

        return instrument_body
