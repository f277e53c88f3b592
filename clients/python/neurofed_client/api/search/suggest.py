from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.suggest_body import SuggestBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    prefix: str,
    limit: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["prefix"] = prefix

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/suggest",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | SuggestBody | None:
    if response.status_code == 200:
        response_200 = SuggestBody.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | SuggestBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    prefix: str,
    limit: int | Unset = UNSET,
) -> Response[ErrorBody | SuggestBody]:
    """Autocomplete over names and descriptions visible to the caller. Not audited: it runs on
    every keystroke and returns no dataset.

    Args:
        prefix (str):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SuggestBody]
    """

    kwargs = _get_kwargs(
        prefix=prefix,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    prefix: str,
    limit: int | Unset = UNSET,
) -> ErrorBody | SuggestBody | None:
    """Autocomplete over names and descriptions visible to the caller. Not audited: it runs on
    every keystroke and returns no dataset.

    Args:
        prefix (str):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SuggestBody
    """

    return sync_detailed(
        client=client,
        prefix=prefix,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    prefix: str,
    limit: int | Unset = UNSET,
) -> Response[ErrorBody | SuggestBody]:
    """Autocomplete over names and descriptions visible to the caller. Not audited: it runs on
    every keystroke and returns no dataset.

    Args:
        prefix (str):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SuggestBody]
    """

    kwargs = _get_kwargs(
        prefix=prefix,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    prefix: str,
    limit: int | Unset = UNSET,
) -> ErrorBody | SuggestBody | None:
    """Autocomplete over names and descriptions visible to the caller. Not audited: it runs on
    every keystroke and returns no dataset.

    Args:
        prefix (str):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SuggestBody
    """

    return (
        await asyncio_detailed(
            client=client,
            prefix=prefix,
            limit=limit,
        )
    ).parsed
