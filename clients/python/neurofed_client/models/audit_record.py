from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditRecord")


@_attrs_define
class AuditRecord:
    """One audit record.

    Attributes:
        action (str): What: `import`, `search`, `view`, `download`, `right_grant`, ...
        at (int): When, unix seconds.
        detail (str): Summary (ids, counts, query structure; never patient data).
        seq (int): Sequence number, from 1.
        who (str): Who: a user name, `cli`, or a remote node.
        dataset (None | str | Unset): Dataset id.
        study (None | str | Unset): Study id.
    """

    action: str
    at: int
    detail: str
    seq: int
    who: str
    dataset: None | str | Unset = UNSET
    study: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        at = self.at

        detail = self.detail

        seq = self.seq

        who = self.who

        dataset: None | str | Unset
        if isinstance(self.dataset, Unset):
            dataset = UNSET
        else:
            dataset = self.dataset

        study: None | str | Unset
        if isinstance(self.study, Unset):
            study = UNSET
        else:
            study = self.study

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "at": at,
                "detail": detail,
                "seq": seq,
                "who": who,
            }
        )
        if dataset is not UNSET:
            field_dict["dataset"] = dataset
        if study is not UNSET:
            field_dict["study"] = study

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        action = d.pop("action")

        at = d.pop("at")

        detail = d.pop("detail")

        seq = d.pop("seq")

        who = d.pop("who")

        def _parse_dataset(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        dataset = _parse_dataset(d.pop("dataset", UNSET))

        def _parse_study(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        study = _parse_study(d.pop("study", UNSET))

        audit_record = cls(
            action=action,
            at=at,
            detail=detail,
            seq=seq,
            who=who,
            dataset=dataset,
            study=study,
        )

        audit_record.additional_properties = d
        return audit_record

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
