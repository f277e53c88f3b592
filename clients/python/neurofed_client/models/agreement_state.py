from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agreement_body import AgreementBody


T = TypeVar("T", bound="AgreementState")


@_attrs_define
class AgreementState:
    """`GET /studies/{id}/agreement`.

    Attributes:
        study (str): Study id.
        accepted_version (int | None | Unset): The latest version the caller accepted.
        agreement (AgreementBody | None | Unset):
    """

    study: str
    accepted_version: int | None | Unset = UNSET
    agreement: AgreementBody | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.agreement_body import AgreementBody

        study = self.study

        accepted_version: int | None | Unset
        if isinstance(self.accepted_version, Unset):
            accepted_version = UNSET
        else:
            accepted_version = self.accepted_version

        agreement: dict[str, Any] | None | Unset
        if isinstance(self.agreement, Unset):
            agreement = UNSET
        elif isinstance(self.agreement, AgreementBody):
            agreement = self.agreement.to_dict()
        else:
            agreement = self.agreement

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "study": study,
            }
        )
        if accepted_version is not UNSET:
            field_dict["accepted_version"] = accepted_version
        if agreement is not UNSET:
            field_dict["agreement"] = agreement

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agreement_body import AgreementBody

        d = dict(src_dict)
        study = d.pop("study")

        def _parse_accepted_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        accepted_version = _parse_accepted_version(d.pop("accepted_version", UNSET))

        def _parse_agreement(data: object) -> AgreementBody | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                agreement_type_1 = AgreementBody.from_dict(data)

                return agreement_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgreementBody | None | Unset, data)

        agreement = _parse_agreement(d.pop("agreement", UNSET))

        agreement_state = cls(
            study=study,
            accepted_version=accepted_version,
            agreement=agreement,
        )

        agreement_state.additional_properties = d
        return agreement_state

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
