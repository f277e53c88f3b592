from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.card_values_current import CardValuesCurrent
    from ..models.card_values_history_item import CardValuesHistoryItem
    from ..models.card_values_original import CardValuesOriginal


T = TypeVar("T", bound="CardValues")


@_attrs_define
class CardValues:
    """Study-card values of the acquisition.

    Attributes:
        current (CardValuesCurrent): Values in force (nature, contrast, BIDS datatype, series name, tags...).
        history (list[CardValuesHistoryItem]): Every application of a card to this acquisition, oldest first: card name
            and version,
            when, the rules that matched, what they assigned, the grade they gave.
        original (CardValuesOriginal): Values as imported.
        grade (None | str | Unset): Quality grade in force.
    """

    current: CardValuesCurrent
    history: list[CardValuesHistoryItem]
    original: CardValuesOriginal
    grade: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        current = self.current.to_dict()

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)

        original = self.original.to_dict()

        grade: None | str | Unset
        if isinstance(self.grade, Unset):
            grade = UNSET
        else:
            grade = self.grade

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "current": current,
                "history": history,
                "original": original,
            }
        )
        if grade is not UNSET:
            field_dict["grade"] = grade

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.card_values_current import CardValuesCurrent
        from ..models.card_values_history_item import CardValuesHistoryItem
        from ..models.card_values_original import CardValuesOriginal

        d = dict(src_dict)
        current = CardValuesCurrent.from_dict(d.pop("current"))

        history = []
        _history = d.pop("history")
        for history_item_data in _history:
            history_item = CardValuesHistoryItem.from_dict(history_item_data)

            history.append(history_item)

        original = CardValuesOriginal.from_dict(d.pop("original"))

        def _parse_grade(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        grade = _parse_grade(d.pop("grade", UNSET))

        card_values = cls(
            current=current,
            history=history,
            original=original,
            grade=grade,
        )

        card_values.additional_properties = d
        return card_values

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
