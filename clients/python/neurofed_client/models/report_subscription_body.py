from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ReportSubscriptionBody")


@_attrs_define
class ReportSubscriptionBody:
    """The caller's subscription to a study's import reports.

    Attributes:
        has_email (bool): Whether the caller's account has an e-mail address (without one, nothing arrives).
        mail_configured (bool): Whether this node has a mail relay configured (`[smtp]`).
        study (str): Study id.
        subscribed (bool): Whether the caller receives a report of each import.
    """

    has_email: bool
    mail_configured: bool
    study: str
    subscribed: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        has_email = self.has_email

        mail_configured = self.mail_configured

        study = self.study

        subscribed = self.subscribed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "has_email": has_email,
                "mail_configured": mail_configured,
                "study": study,
                "subscribed": subscribed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        has_email = d.pop("has_email")

        mail_configured = d.pop("mail_configured")

        study = d.pop("study")

        subscribed = d.pop("subscribed")

        report_subscription_body = cls(
            has_email=has_email,
            mail_configured=mail_configured,
            study=study,
            subscribed=subscribed,
        )

        report_subscription_body.additional_properties = d
        return report_subscription_body

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
