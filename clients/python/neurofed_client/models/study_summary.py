from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StudySummary")


@_attrs_define
class StudySummary:
    """A study in listings.

    Attributes:
        created_at (int): Creation, unix seconds.
        description (str): Description.
        id (str): Id (`st_…`).
        name (str): Name.
        public (bool): Visible (`see`) to every account.
        rights (list[str]): The caller's effective rights on it.
        status (str): `in_progress` or `finished`.
        embargo_until (None | str | Unset): Hidden from non-members until this date.
        see_centers (list[str] | None | Unset): When the caller's `see` right is limited to some centers: their ids.
        subjects (int | None | Unset): Subjects (omitted when the caller sees only some centers).
    """

    created_at: int
    description: str
    id: str
    name: str
    public: bool
    rights: list[str]
    status: str
    embargo_until: None | str | Unset = UNSET
    see_centers: list[str] | None | Unset = UNSET
    subjects: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        description = self.description

        id = self.id

        name = self.name

        public = self.public

        rights = self.rights

        status = self.status

        embargo_until: None | str | Unset
        if isinstance(self.embargo_until, Unset):
            embargo_until = UNSET
        else:
            embargo_until = self.embargo_until

        see_centers: list[str] | None | Unset
        if isinstance(self.see_centers, Unset):
            see_centers = UNSET
        elif isinstance(self.see_centers, list):
            see_centers = self.see_centers

        else:
            see_centers = self.see_centers

        subjects: int | None | Unset
        if isinstance(self.subjects, Unset):
            subjects = UNSET
        else:
            subjects = self.subjects

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "description": description,
                "id": id,
                "name": name,
                "public": public,
                "rights": rights,
                "status": status,
            }
        )
        if embargo_until is not UNSET:
            field_dict["embargo_until"] = embargo_until
        if see_centers is not UNSET:
            field_dict["see_centers"] = see_centers
        if subjects is not UNSET:
            field_dict["subjects"] = subjects

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        description = d.pop("description")

        id = d.pop("id")

        name = d.pop("name")

        public = d.pop("public")

        rights = cast(list[str], d.pop("rights"))

        status = d.pop("status")

        def _parse_embargo_until(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        embargo_until = _parse_embargo_until(d.pop("embargo_until", UNSET))

        def _parse_see_centers(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                see_centers_type_0 = cast(list[str], data)

                return see_centers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        see_centers = _parse_see_centers(d.pop("see_centers", UNSET))

        def _parse_subjects(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        subjects = _parse_subjects(d.pop("subjects", UNSET))

        study_summary = cls(
            created_at=created_at,
            description=description,
            id=id,
            name=name,
            public=public,
            rights=rights,
            status=status,
            embargo_until=embargo_until,
            see_centers=see_centers,
            subjects=subjects,
        )

        study_summary.additional_properties = d
        return study_summary

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
