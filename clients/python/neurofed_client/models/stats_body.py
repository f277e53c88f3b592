from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="StatsBody")


@_attrs_define
class StatsBody:
    """Repository counts (`neurofed stats`) and the number of accounts.

    Attributes:
        acquisitions (int): Acquisitions (series).
        bytes_ (int): Bytes of all stored blobs.
        centers (int): Centers recorded.
        datasets (int): Datasets.
        equipment (int): Scanners recorded.
        examinations (int): Examinations.
        instances (int): DICOM instances.
        studies (int): Studies.
        subjects (int): Subjects.
        users (int): Local accounts.
    """

    acquisitions: int
    bytes_: int
    centers: int
    datasets: int
    equipment: int
    examinations: int
    instances: int
    studies: int
    subjects: int
    users: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acquisitions = self.acquisitions

        bytes_ = self.bytes_

        centers = self.centers

        datasets = self.datasets

        equipment = self.equipment

        examinations = self.examinations

        instances = self.instances

        studies = self.studies

        subjects = self.subjects

        users = self.users

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisitions": acquisitions,
                "bytes": bytes_,
                "centers": centers,
                "datasets": datasets,
                "equipment": equipment,
                "examinations": examinations,
                "instances": instances,
                "studies": studies,
                "subjects": subjects,
                "users": users,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        acquisitions = d.pop("acquisitions")

        bytes_ = d.pop("bytes")

        centers = d.pop("centers")

        datasets = d.pop("datasets")

        equipment = d.pop("equipment")

        examinations = d.pop("examinations")

        instances = d.pop("instances")

        studies = d.pop("studies")

        subjects = d.pop("subjects")

        users = d.pop("users")

        stats_body = cls(
            acquisitions=acquisitions,
            bytes_=bytes_,
            centers=centers,
            datasets=datasets,
            equipment=equipment,
            examinations=examinations,
            instances=instances,
            studies=studies,
            subjects=subjects,
            users=users,
        )

        stats_body.additional_properties = d
        return stats_body

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
