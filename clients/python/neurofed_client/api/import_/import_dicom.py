from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.import_dicom_files_body import ImportDicomFilesBody
from ...models.import_summary_body import ImportSummaryBody
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    body: File | ImportDicomFilesBody | Unset = UNSET,
    study: str,
    profile: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["study"] = study

    params["profile"] = profile

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/import",
        "params": params,
    }

    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/dicom"
    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/octet-stream"
    if isinstance(body, File):
        _kwargs["content"] = body.payload
        headers["Content-Type"] = "application/zip"
    if isinstance(body, ImportDicomFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ImportSummaryBody | None:
    if response.status_code == 200:
        response_200 = ImportSummaryBody.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | ImportSummaryBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File | ImportDicomFilesBody | Unset = UNSET,
    study: str,
    profile: str | Unset = UNSET,
) -> Response[ErrorBody | ImportSummaryBody]:
    """Import uploaded DICOM into a study.

    Args:
        study (str):
        profile (str | Unset):
        body (File):
        body (File):
        body (File):
        body (ImportDicomFilesBody): A `multipart/form-data` import: any number of parts (of any
            field name), each a DICOM file or
            a zip; the part's file name is how the answer's `skipped` list names it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ImportSummaryBody]
    """

    kwargs = _get_kwargs(
        body=body,
        study=study,
        profile=profile,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: File | ImportDicomFilesBody | Unset = UNSET,
    study: str,
    profile: str | Unset = UNSET,
) -> ErrorBody | ImportSummaryBody | None:
    """Import uploaded DICOM into a study.

    Args:
        study (str):
        profile (str | Unset):
        body (File):
        body (File):
        body (File):
        body (ImportDicomFilesBody): A `multipart/form-data` import: any number of parts (of any
            field name), each a DICOM file or
            a zip; the part's file name is how the answer's `skipped` list names it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ImportSummaryBody
    """

    return sync_detailed(
        client=client,
        body=body,
        study=study,
        profile=profile,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File | ImportDicomFilesBody | Unset = UNSET,
    study: str,
    profile: str | Unset = UNSET,
) -> Response[ErrorBody | ImportSummaryBody]:
    """Import uploaded DICOM into a study.

    Args:
        study (str):
        profile (str | Unset):
        body (File):
        body (File):
        body (File):
        body (ImportDicomFilesBody): A `multipart/form-data` import: any number of parts (of any
            field name), each a DICOM file or
            a zip; the part's file name is how the answer's `skipped` list names it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ImportSummaryBody]
    """

    kwargs = _get_kwargs(
        body=body,
        study=study,
        profile=profile,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: File | ImportDicomFilesBody | Unset = UNSET,
    study: str,
    profile: str | Unset = UNSET,
) -> ErrorBody | ImportSummaryBody | None:
    """Import uploaded DICOM into a study.

    Args:
        study (str):
        profile (str | Unset):
        body (File):
        body (File):
        body (File):
        body (ImportDicomFilesBody): A `multipart/form-data` import: any number of parts (of any
            field name), each a DICOM file or
            a zip; the part's file name is how the answer's `skipped` list names it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ImportSummaryBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            study=study,
            profile=profile,
        )
    ).parsed
