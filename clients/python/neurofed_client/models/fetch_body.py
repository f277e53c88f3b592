from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="FetchBody")


@_attrs_define
class FetchBody:
    """What `POST /fetch` takes.

    Attributes:
        content_id (str): The dataset's content id (64 hex digits), from a federated search hit.
    """

    content_id: str

    def to_dict(self) -> dict[str, Any]:
        content_id = self.content_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "content_id": content_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content_id = d.pop("content_id")

        fetch_body = cls(
            content_id=content_id,
        )

        return fetch_body
