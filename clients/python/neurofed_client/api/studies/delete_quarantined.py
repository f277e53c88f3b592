from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.quarantine_deleted import QuarantineDeleted
from ...types import Response


def _get_kwargs(
    id: str,
    entry: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/v1/studies/{id}/quarantine/{entry}".format(
            id=quote(str(id), safe=""),
            entry=quote(str(entry), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | QuarantineDeleted | None:
    if response.status_code == 200:
        response_200 = QuarantineDeleted.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | QuarantineDeleted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    entry: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | QuarantineDeleted]:
    """Delete a quarantined instance, its bytes and its entry (needs the administer right); audited.

    Args:
        id (str):
        entry (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QuarantineDeleted]
    """

    kwargs = _get_kwargs(
        id=id,
        entry=entry,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    entry: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | QuarantineDeleted | None:
    """Delete a quarantined instance, its bytes and its entry (needs the administer right); audited.

    Args:
        id (str):
        entry (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QuarantineDeleted
    """

    return sync_detailed(
        id=id,
        entry=entry,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    entry: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | QuarantineDeleted]:
    """Delete a quarantined instance, its bytes and its entry (needs the administer right); audited.

    Args:
        id (str):
        entry (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | QuarantineDeleted]
    """

    kwargs = _get_kwargs(
        id=id,
        entry=entry,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    entry: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | QuarantineDeleted | None:
    """Delete a quarantined instance, its bytes and its entry (needs the administer right); audited.

    Args:
        id (str):
        entry (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | QuarantineDeleted
    """

    return (
        await asyncio_detailed(
            id=id,
            entry=entry,
            client=client,
        )
    ).parsed
