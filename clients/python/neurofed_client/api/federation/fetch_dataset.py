from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.fetch_body import FetchBody
from ...models.fetched_body import FetchedBody
from ...types import Response


def _get_kwargs(
    *,
    body: FetchBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/fetch",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | FetchedBody | None:
    if response.status_code == 200:
        response_200 = FetchedBody.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 502:
        response_502 = ErrorBody.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | FetchedBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FetchBody,
) -> Response[ErrorBody | FetchedBody]:
    """Fetch a dataset of another member into this node's store, verified as it streams, from the
    members whose hits named it, with the caller's download grant for it; resumed if an earlier
    fetch was interrupted. The dataset is kept with its provenance, never indexed as local data.

    Args:
        body (FetchBody): What `POST /fetch` takes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FetchedBody]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: FetchBody,
) -> ErrorBody | FetchedBody | None:
    """Fetch a dataset of another member into this node's store, verified as it streams, from the
    members whose hits named it, with the caller's download grant for it; resumed if an earlier
    fetch was interrupted. The dataset is kept with its provenance, never indexed as local data.

    Args:
        body (FetchBody): What `POST /fetch` takes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FetchedBody
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: FetchBody,
) -> Response[ErrorBody | FetchedBody]:
    """Fetch a dataset of another member into this node's store, verified as it streams, from the
    members whose hits named it, with the caller's download grant for it; resumed if an earlier
    fetch was interrupted. The dataset is kept with its provenance, never indexed as local data.

    Args:
        body (FetchBody): What `POST /fetch` takes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FetchedBody]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: FetchBody,
) -> ErrorBody | FetchedBody | None:
    """Fetch a dataset of another member into this node's store, verified as it streams, from the
    members whose hits named it, with the caller's download grant for it; resumed if an earlier
    fetch was interrupted. The dataset is kept with its provenance, never indexed as local data.

    Args:
        body (FetchBody): What `POST /fetch` takes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FetchedBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
