from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.blob_stored import BlobStored
from ...models.error_body import ErrorBody
from ...types import File, Response


def _get_kwargs(
    id: str,
    blob: str,
    *,
    body: File,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/studies/{id}/upload/blobs/{blob}".format(
            id=quote(str(id), safe=""),
            blob=quote(str(blob), safe=""),
        ),
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/dicom"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BlobStored | ErrorBody | None:
    if response.status_code == 200:
        response_200 = BlobStored.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = BlobStored.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BlobStored | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    blob: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
) -> Response[BlobStored | ErrorBody]:
    """One de-identified instance, by its blake3 hash.

    Args:
        id (str):
        blob (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobStored | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        blob=blob,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    blob: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
) -> BlobStored | ErrorBody | None:
    """One de-identified instance, by its blake3 hash.

    Args:
        id (str):
        blob (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobStored | ErrorBody
    """

    return sync_detailed(
        id=id,
        blob=blob,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    blob: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
) -> Response[BlobStored | ErrorBody]:
    """One de-identified instance, by its blake3 hash.

    Args:
        id (str):
        blob (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BlobStored | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        blob=blob,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    blob: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
) -> BlobStored | ErrorBody | None:
    """One de-identified instance, by its blake3 hash.

    Args:
        id (str):
        blob (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BlobStored | ErrorBody
    """

    return (
        await asyncio_detailed(
            id=id,
            blob=blob,
            client=client,
            body=body,
        )
    ).parsed
