from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PendingAgreementBody")


@_attrs_define
class PendingAgreementBody:
    """A study whose data-use agreement the caller must accept before their rights on it take
    effect: until then none of its datasets is searched, counted or shown.

        Attributes:
            study_id (str): The study's id (`st_…`).
            study_name (str): The study's name.
            version (int): The version in force, to accept with `POST /studies/{id}/agreement/accept` after reading
                it at `GET /studies/{id}/agreement`.
    """

    study_id: str
    study_name: str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        study_id = self.study_id

        study_name = self.study_name

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "study_id": study_id,
                "study_name": study_name,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        study_id = d.pop("study_id")

        study_name = d.pop("study_name")

        version = d.pop("version")

        pending_agreement_body = cls(
            study_id=study_id,
            study_name=study_name,
            version=version,
        )

        pending_agreement_body.additional_properties = d
        return pending_agreement_body

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
