from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.instrument_body import InstrumentBody
from ...models.instrument_set import InstrumentSet
from ...types import Response


def _get_kwargs(
    *,
    body: InstrumentBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/instruments",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | InstrumentSet | None:
    if response.status_code == 200:
        response_200 = InstrumentSet.from_dict(response.json())

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
) -> Response[ErrorBody | InstrumentSet]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: InstrumentBody,
) -> Response[ErrorBody | InstrumentSet]:
    """Define an instrument, or a new version of one (refused while a recorded value would not pass
    it). The body is the definition as JSON, or its TOML text with `Content-Type:
    application/toml`. Admins and study administrators; audited.

    Args:
        body (InstrumentBody): An instrument definition, as `neurofed scores instrument add` reads
            it from TOML.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | InstrumentSet]
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
    body: InstrumentBody,
) -> ErrorBody | InstrumentSet | None:
    """Define an instrument, or a new version of one (refused while a recorded value would not pass
    it). The body is the definition as JSON, or its TOML text with `Content-Type:
    application/toml`. Admins and study administrators; audited.

    Args:
        body (InstrumentBody): An instrument definition, as `neurofed scores instrument add` reads
            it from TOML.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | InstrumentSet
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: InstrumentBody,
) -> Response[ErrorBody | InstrumentSet]:
    """Define an instrument, or a new version of one (refused while a recorded value would not pass
    it). The body is the definition as JSON, or its TOML text with `Content-Type:
    application/toml`. Admins and study administrators; audited.

    Args:
        body (InstrumentBody): An instrument definition, as `neurofed scores instrument add` reads
            it from TOML.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | InstrumentSet]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: InstrumentBody,
) -> ErrorBody | InstrumentSet | None:
    """Define an instrument, or a new version of one (refused while a recorded value would not pass
    it). The body is the definition as JSON, or its TOML text with `Content-Type:
    application/toml`. Admins and study administrators; audited.

    Args:
        body (InstrumentBody): An instrument definition, as `neurofed scores instrument add` reads
            it from TOML.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | InstrumentSet
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
