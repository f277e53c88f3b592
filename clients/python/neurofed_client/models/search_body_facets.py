from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.search_body_facets_additional_property import (
        SearchBodyFacetsAdditionalProperty,
    )


T = TypeVar("T", bound="SearchBodyFacets")


@_attrs_define
class SearchBodyFacets:
    """Per facet asked, its most frequent values with their counts, most frequent first:
    `{"nature": {"T1w": 6, "T2w": 6}}`. Counted over the caller's visible datasets only.

    """

    additional_properties: dict[str, SearchBodyFacetsAdditionalProperty] = _attrs_field(
        init=False, factory=dict
    )

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop.to_dict()

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.search_body_facets_additional_property import (
            SearchBodyFacetsAdditionalProperty,
        )

        d = dict(src_dict)
        search_body_facets = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = SearchBodyFacetsAdditionalProperty.from_dict(
                prop_dict
            )

            additional_properties[prop_name] = additional_property

        search_body_facets.additional_properties = additional_properties
        return search_body_facets

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> SearchBodyFacetsAdditionalProperty:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: SearchBodyFacetsAdditionalProperty) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
