from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="AccountRequest")


@_attrs_define
class AccountRequest:
    """`POST /account-requests`.

    Attributes:
        motivation (str): Why (shown to the study's administrators).
        name (str): Wanted login name.
        password (str): Password.
        rights (list[str]): Rights asked: `see`, `download`, `import`, `administer`.
        study (str): Study id (`st_…`) the rights are asked on. Not a name: this route needs no account, and
            names (unlike ids) can be guessed, so a name would tell strangers which studies exist.
        display_name (str | Unset): Display name.
        email (None | str | Unset): Contact address.
    """

    motivation: str
    name: str
    password: str
    rights: list[str]
    study: str
    display_name: str | Unset = UNSET
    email: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        motivation = self.motivation

        name = self.name

        password = self.password

        rights = self.rights

        study = self.study

        display_name = self.display_name

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "motivation": motivation,
                "name": name,
                "password": password,
                "rights": rights,
                "study": study,
            }
        )
        if display_name is not UNSET:
            field_dict["display_name"] = display_name
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        motivation = d.pop("motivation")

        name = d.pop("name")

        password = d.pop("password")

        rights = cast(list[str], d.pop("rights"))

        study = d.pop("study")

        display_name = d.pop("display_name", UNSET)

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        account_request = cls(
            motivation=motivation,
            name=name,
            password=password,
            rights=rights,
            study=study,
            display_name=display_name,
            email=email,
        )

        return account_request
