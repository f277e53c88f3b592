from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CardVersion")


@_attrs_define
class CardVersion:
    """One version of a card.

    Attributes:
        added_at (int): When it was added, unix seconds.
        current (bool): Whether this is the version in force.
        name (str): The card's name.
        quality_rules (int): Quality rules.
        rules (int): Assignment rules.
        source (str): The TOML it was read from.
        version (int): Its version (1, 2, ...).
        center (None | str | Unset): The center it is limited to.
        description (None | str | Unset): Its description.
    """

    added_at: int
    current: bool
    name: str
    quality_rules: int
    rules: int
    source: str
    version: int
    center: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        added_at = self.added_at

        current = self.current

        name = self.name

        quality_rules = self.quality_rules

        rules = self.rules

        source = self.source

        version = self.version

        center: None | str | Unset
        if isinstance(self.center, Unset):
            center = UNSET
        else:
            center = self.center

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "added_at": added_at,
                "current": current,
                "name": name,
                "quality_rules": quality_rules,
                "rules": rules,
                "source": source,
                "version": version,
            }
        )
        if center is not UNSET:
            field_dict["center"] = center
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        added_at = d.pop("added_at")

        current = d.pop("current")

        name = d.pop("name")

        quality_rules = d.pop("quality_rules")

        rules = d.pop("rules")

        source = d.pop("source")

        version = d.pop("version")

        def _parse_center(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        center = _parse_center(d.pop("center", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        card_version = cls(
            added_at=added_at,
            current=current,
            name=name,
            quality_rules=quality_rules,
            rules=rules,
            source=source,
            version=version,
            center=center,
            description=description,
        )

        card_version.additional_properties = d
        return card_version

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
