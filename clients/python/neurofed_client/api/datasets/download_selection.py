from http import HTTPStatus
from io import BytesIO
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    dataset: list[str],
    format_: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_dataset = dataset

    params["dataset"] = json_dataset

    params["format"] = format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/download",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | File | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    dataset: list[str],
    format_: str | Unset = UNSET,
) -> Response[ErrorBody | File]:
    """Download a selection of datasets as one zip (the layout of `neurofed export`, or with
    `format=bids` a BIDS dataset of one study as `neurofed export --format bids` writes it):
    every dataset must exist and be downloadable by the caller, or nothing is sent. In NIfTI and
    BIDS, datasets without a NIfTI expression are left out and named in `X-Neurofed-Left-Out`.

    Args:
        dataset (list[str]):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File]
    """

    kwargs = _get_kwargs(
        dataset=dataset,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    dataset: list[str],
    format_: str | Unset = UNSET,
) -> ErrorBody | File | None:
    """Download a selection of datasets as one zip (the layout of `neurofed export`, or with
    `format=bids` a BIDS dataset of one study as `neurofed export --format bids` writes it):
    every dataset must exist and be downloadable by the caller, or nothing is sent. In NIfTI and
    BIDS, datasets without a NIfTI expression are left out and named in `X-Neurofed-Left-Out`.

    Args:
        dataset (list[str]):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File
    """

    return sync_detailed(
        client=client,
        dataset=dataset,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    dataset: list[str],
    format_: str | Unset = UNSET,
) -> Response[ErrorBody | File]:
    """Download a selection of datasets as one zip (the layout of `neurofed export`, or with
    `format=bids` a BIDS dataset of one study as `neurofed export --format bids` writes it):
    every dataset must exist and be downloadable by the caller, or nothing is sent. In NIfTI and
    BIDS, datasets without a NIfTI expression are left out and named in `X-Neurofed-Left-Out`.

    Args:
        dataset (list[str]):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | File]
    """

    kwargs = _get_kwargs(
        dataset=dataset,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    dataset: list[str],
    format_: str | Unset = UNSET,
) -> ErrorBody | File | None:
    """Download a selection of datasets as one zip (the layout of `neurofed export`, or with
    `format=bids` a BIDS dataset of one study as `neurofed export --format bids` writes it):
    every dataset must exist and be downloadable by the caller, or nothing is sent. In NIfTI and
    BIDS, datasets without a NIfTI expression are left out and named in `X-Neurofed-Left-Out`.

    Args:
        dataset (list[str]):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | File
    """

    return (
        await asyncio_detailed(
            client=client,
            dataset=dataset,
            format_=format_,
        )
    ).parsed
