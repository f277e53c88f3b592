from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.scoped_keys_body import ScopedKeysBody
    from ..models.upload_keys_profile import UploadKeysProfile


T = TypeVar("T", bound="UploadKeys")


@_attrs_define
class UploadKeys:
    """A study's de-identification, as a workstation needs it.

    Attributes:
        keys (ScopedKeysBody): [`dicom::ScopedKeys`] as hex.
        max_blob_bytes (int): The largest instance the node takes, bytes.
        name (str): The study's name.
        profile (UploadKeysProfile): The study's de-identification profile (the profile file's fields).
        study (str): The study id.
    """

    keys: ScopedKeysBody
    max_blob_bytes: int
    name: str
    profile: UploadKeysProfile
    study: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        keys = self.keys.to_dict()

        max_blob_bytes = self.max_blob_bytes

        name = self.name

        profile = self.profile.to_dict()

        study = self.study

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "keys": keys,
                "max_blob_bytes": max_blob_bytes,
                "name": name,
                "profile": profile,
                "study": study,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.scoped_keys_body import ScopedKeysBody
        from ..models.upload_keys_profile import UploadKeysProfile

        d = dict(src_dict)
        keys = ScopedKeysBody.from_dict(d.pop("keys"))

        max_blob_bytes = d.pop("max_blob_bytes")

        name = d.pop("name")

        profile = UploadKeysProfile.from_dict(d.pop("profile"))

        study = d.pop("study")

        upload_keys = cls(
            keys=keys,
            max_blob_bytes=max_blob_bytes,
            name=name,
            profile=profile,
            study=study,
        )

        upload_keys.additional_properties = d
        return upload_keys

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
