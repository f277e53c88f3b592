from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.coverage_body import CoverageBody
    from ..models.federated_body_facet_error_bound import FederatedBodyFacetErrorBound
    from ..models.federated_body_facet_other import FederatedBodyFacetOther
    from ..models.federated_body_facets import FederatedBodyFacets
    from ..models.node_report_body import NodeReportBody
    from ..models.pending_agreement_body import PendingAgreementBody
    from ..models.search_hit import SearchHit


T = TypeVar("T", bound="FederatedBody")


@_attrs_define
class FederatedBody:
    """The answer of `GET /search?scope=federated`: the local shape (counts may be `"<k"`), the hits
    naming their `node`, and how each member fared.

        Attributes:
            coverage (CoverageBody): Members that answered, of the consortium's members.
            elapsed_ms (int): Milliseconds the search took.
            facet_error_bound (FederatedBodyFacetErrorBound): Per facet whose top values may be inexact (a member listed
                only part of its values),
                the largest error of any count.
            facet_other (FederatedBodyFacetOther): Per facet, the datasets whose value is not listed.
            facets (FederatedBodyFacets): Merged facet counts, as in a local search.
            hits (list[SearchHit]): Merged hits, each naming its `node`.
            nodes (list[NodeReportBody]): One report per member, this node first.
            pending_agreements (list[PendingAgreementBody]): As in a local search: this node's studies whose agreement the
                caller has not accepted.
            total (int | str): A count in a federated answer: an integer, or `"<k"` (a string) when a member suppressed a
                count between 1 and k-1 to protect small groups of subjects.
    """

    coverage: CoverageBody
    elapsed_ms: int
    facet_error_bound: FederatedBodyFacetErrorBound
    facet_other: FederatedBodyFacetOther
    facets: FederatedBodyFacets
    hits: list[SearchHit]
    nodes: list[NodeReportBody]
    pending_agreements: list[PendingAgreementBody]
    total: int | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        coverage = self.coverage.to_dict()

        elapsed_ms = self.elapsed_ms

        facet_error_bound = self.facet_error_bound.to_dict()

        facet_other = self.facet_other.to_dict()

        facets = self.facets.to_dict()

        hits = []
        for hits_item_data in self.hits:
            hits_item = hits_item_data.to_dict()
            hits.append(hits_item)

        nodes = []
        for nodes_item_data in self.nodes:
            nodes_item = nodes_item_data.to_dict()
            nodes.append(nodes_item)

        pending_agreements = []
        for pending_agreements_item_data in self.pending_agreements:
            pending_agreements_item = pending_agreements_item_data.to_dict()
            pending_agreements.append(pending_agreements_item)

        total: int | str
        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "coverage": coverage,
                "elapsed_ms": elapsed_ms,
                "facet_error_bound": facet_error_bound,
                "facet_other": facet_other,
                "facets": facets,
                "hits": hits,
                "nodes": nodes,
                "pending_agreements": pending_agreements,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.coverage_body import CoverageBody
        from ..models.federated_body_facet_error_bound import (
            FederatedBodyFacetErrorBound,
        )
        from ..models.federated_body_facet_other import FederatedBodyFacetOther
        from ..models.federated_body_facets import FederatedBodyFacets
        from ..models.node_report_body import NodeReportBody
        from ..models.pending_agreement_body import PendingAgreementBody
        from ..models.search_hit import SearchHit

        d = dict(src_dict)
        coverage = CoverageBody.from_dict(d.pop("coverage"))

        elapsed_ms = d.pop("elapsed_ms")

        facet_error_bound = FederatedBodyFacetErrorBound.from_dict(
            d.pop("facet_error_bound")
        )

        facet_other = FederatedBodyFacetOther.from_dict(d.pop("facet_other"))

        facets = FederatedBodyFacets.from_dict(d.pop("facets"))

        hits = []
        _hits = d.pop("hits")
        for hits_item_data in _hits:
            hits_item = SearchHit.from_dict(hits_item_data)

            hits.append(hits_item)

        nodes = []
        _nodes = d.pop("nodes")
        for nodes_item_data in _nodes:
            nodes_item = NodeReportBody.from_dict(nodes_item_data)

            nodes.append(nodes_item)

        pending_agreements = []
        _pending_agreements = d.pop("pending_agreements")
        for pending_agreements_item_data in _pending_agreements:
            pending_agreements_item = PendingAgreementBody.from_dict(
                pending_agreements_item_data
            )

            pending_agreements.append(pending_agreements_item)

        def _parse_total(data: object) -> int | str:
            return cast(int | str, data)

        total = _parse_total(d.pop("total"))

        federated_body = cls(
            coverage=coverage,
            elapsed_ms=elapsed_ms,
            facet_error_bound=facet_error_bound,
            facet_other=facet_other,
            facets=facets,
            hits=hits,
            nodes=nodes,
            pending_agreements=pending_agreements,
            total=total,
        )

        federated_body.additional_properties = d
        return federated_body

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
