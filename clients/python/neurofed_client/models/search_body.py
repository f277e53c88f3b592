from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pending_agreement_body import PendingAgreementBody
    from ..models.search_body_facet_other import SearchBodyFacetOther
    from ..models.search_body_facets import SearchBodyFacets
    from ..models.search_hit import SearchHit


T = TypeVar("T", bound="SearchBody")


@_attrs_define
class SearchBody:
    """The answer of `GET /search` and of `neurofed search --json`.

    Attributes:
        facet_other (SearchBodyFacetOther): Per facet asked, the datasets whose value is not listed.
        facets (SearchBodyFacets): Per facet asked, its most frequent values with their counts, most frequent first:
            `{"nature": {"T1w": 6, "T2w": 6}}`. Counted over the caller's visible datasets only.
        hits (list[SearchHit]): The page of hits, in sort order.
        pending_agreements (list[PendingAgreementBody]): Studies the caller holds rights on that are left out of this
            answer because their
            data-use agreement is not accepted yet (empty for most callers).
        total (int): Matching datasets visible to the caller.
    """

    facet_other: SearchBodyFacetOther
    facets: SearchBodyFacets
    hits: list[SearchHit]
    pending_agreements: list[PendingAgreementBody]
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        facet_other = self.facet_other.to_dict()

        facets = self.facets.to_dict()

        hits = []
        for hits_item_data in self.hits:
            hits_item = hits_item_data.to_dict()
            hits.append(hits_item)

        pending_agreements = []
        for pending_agreements_item_data in self.pending_agreements:
            pending_agreements_item = pending_agreements_item_data.to_dict()
            pending_agreements.append(pending_agreements_item)

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "facet_other": facet_other,
                "facets": facets,
                "hits": hits,
                "pending_agreements": pending_agreements,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pending_agreement_body import PendingAgreementBody
        from ..models.search_body_facet_other import SearchBodyFacetOther
        from ..models.search_body_facets import SearchBodyFacets
        from ..models.search_hit import SearchHit

        d = dict(src_dict)
        facet_other = SearchBodyFacetOther.from_dict(d.pop("facet_other"))

        facets = SearchBodyFacets.from_dict(d.pop("facets"))

        hits = []
        _hits = d.pop("hits")
        for hits_item_data in _hits:
            hits_item = SearchHit.from_dict(hits_item_data)

            hits.append(hits_item)

        pending_agreements = []
        _pending_agreements = d.pop("pending_agreements")
        for pending_agreements_item_data in _pending_agreements:
            pending_agreements_item = PendingAgreementBody.from_dict(
                pending_agreements_item_data
            )

            pending_agreements.append(pending_agreements_item)

        total = d.pop("total")

        search_body = cls(
            facet_other=facet_other,
            facets=facets,
            hits=hits,
            pending_agreements=pending_agreements,
            total=total,
        )

        search_body.additional_properties = d
        return search_body

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
