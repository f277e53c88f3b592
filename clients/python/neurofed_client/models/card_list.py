from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.card_version import CardVersion
    from ..models.study_ref import StudyRef


T = TypeVar("T", bound="CardList")


@_attrs_define
class CardList:
    """`GET /studies/{id}/cards`.

    Attributes:
        cards (list[CardVersion]): Every version of every card, by name then version.
        study (StudyRef): A study as other objects name it.
    """

    cards: list[CardVersion]
    study: StudyRef
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cards = []
        for cards_item_data in self.cards:
            cards_item = cards_item_data.to_dict()
            cards.append(cards_item)

        study = self.study.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cards": cards,
                "study": study,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.card_version import CardVersion
        from ..models.study_ref import StudyRef

        d = dict(src_dict)
        cards = []
        _cards = d.pop("cards")
        for cards_item_data in _cards:
            cards_item = CardVersion.from_dict(cards_item_data)

            cards.append(cards_item)

        study = StudyRef.from_dict(d.pop("study"))

        card_list = cls(
            cards=cards,
            study=study,
        )

        card_list.additional_properties = d
        return card_list

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
