from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fetched_file import FetchedFile


T = TypeVar("T", bound="FetchedBody")


@_attrs_define
class FetchedBody:
    """What `POST /fetch` did.

    Attributes:
        bytes_ (int): Instance bytes.
        bytes_fetched (int): Bytes received now (0 when it was here already).
        bytes_resumed (int): Bytes found in partial files of an earlier, interrupted fetch.
        content_id (str): The dataset.
        files (list[FetchedFile]): Its files, in instance order.
        instances (int): Instances.
        origin (str): The member that owns it (PeerId).
        grant (None | str | Unset): The grant it was downloaded under.
    """

    bytes_: int
    bytes_fetched: int
    bytes_resumed: int
    content_id: str
    files: list[FetchedFile]
    instances: int
    origin: str
    grant: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        bytes_fetched = self.bytes_fetched

        bytes_resumed = self.bytes_resumed

        content_id = self.content_id

        files = []
        for files_item_data in self.files:
            files_item = files_item_data.to_dict()
            files.append(files_item)

        instances = self.instances

        origin = self.origin

        grant: None | str | Unset
        if isinstance(self.grant, Unset):
            grant = UNSET
        else:
            grant = self.grant

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "bytes_fetched": bytes_fetched,
                "bytes_resumed": bytes_resumed,
                "content_id": content_id,
                "files": files,
                "instances": instances,
                "origin": origin,
            }
        )
        if grant is not UNSET:
            field_dict["grant"] = grant

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.fetched_file import FetchedFile

        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        bytes_fetched = d.pop("bytes_fetched")

        bytes_resumed = d.pop("bytes_resumed")

        content_id = d.pop("content_id")

        files = []
        _files = d.pop("files")
        for files_item_data in _files:
            files_item = FetchedFile.from_dict(files_item_data)

            files.append(files_item)

        instances = d.pop("instances")

        origin = d.pop("origin")

        def _parse_grant(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        grant = _parse_grant(d.pop("grant", UNSET))

        fetched_body = cls(
            bytes_=bytes_,
            bytes_fetched=bytes_fetched,
            bytes_resumed=bytes_resumed,
            content_id=content_id,
            files=files,
            instances=instances,
            origin=origin,
            grant=grant,
        )

        fetched_body.additional_properties = d
        return fetched_body

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
