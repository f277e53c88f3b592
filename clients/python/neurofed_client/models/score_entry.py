from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.score_entry_values import ScoreEntryValues


T = TypeVar("T", bound="ScoreEntry")


@_attrs_define
class ScoreEntry:
    """One recorded assessment of a subject.

    Attributes:
        instrument (str): The instrument's acronym.
        recorded_at (int): When it was recorded, unix seconds.
        values (ScoreEntryValues): Values by variable: numbers, codes as strings.
        examination (None | str | Unset): The examination it belongs to, when recorded at one.
    """

    instrument: str
    recorded_at: int
    values: ScoreEntryValues
    examination: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        instrument = self.instrument

        recorded_at = self.recorded_at

        values = self.values.to_dict()

        examination: None | str | Unset
        if isinstance(self.examination, Unset):
            examination = UNSET
        else:
            examination = self.examination

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "instrument": instrument,
                "recorded_at": recorded_at,
                "values": values,
            }
        )
        if examination is not UNSET:
            field_dict["examination"] = examination

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.score_entry_values import ScoreEntryValues

        d = dict(src_dict)
        instrument = d.pop("instrument")

        recorded_at = d.pop("recorded_at")

        values = ScoreEntryValues.from_dict(d.pop("values"))

        def _parse_examination(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        examination = _parse_examination(d.pop("examination", UNSET))

        score_entry = cls(
            instrument=instrument,
            recorded_at=recorded_at,
            values=values,
            examination=examination,
        )

        score_entry.additional_properties = d
        return score_entry

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
