from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="NewTokenRequest")


@_attrs_define
class NewTokenRequest:
    """`POST /users/{name}/tokens`.

    Attributes:
        expires (None | str | Unset): Last valid day (UTC), `YYYY-MM-DD`; none: no expiry.
        label (str | Unset): What it is for.
    """

    expires: None | str | Unset = UNSET
    label: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        expires: None | str | Unset
        if isinstance(self.expires, Unset):
            expires = UNSET
        else:
            expires = self.expires

        label = self.label

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if expires is not UNSET:
            field_dict["expires"] = expires
        if label is not UNSET:
            field_dict["label"] = label

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_expires(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        expires = _parse_expires(d.pop("expires", UNSET))

        label = d.pop("label", UNSET)

        new_token_request = cls(
            expires=expires,
            label=label,
        )

        return new_token_request
