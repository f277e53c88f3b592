from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.scores_body import ScoresBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    instrument: str,
    format_: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["instrument"] = instrument

    params["format"] = format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/studies/{id}/scores".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ScoresBody | None:
    if response.status_code == 200:
        response_200 = ScoresBody.from_dict(response.json())

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
) -> Response[ErrorBody | ScoresBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str,
    format_: str | Unset = UNSET,
) -> Response[ErrorBody | ScoresBody]:
    """A study's scores of one instrument, one row per assessment: JSON, or (`format=csv`) the CSV
    `neurofed scores export` writes (`participant_id,session,examination,<variables>`), which
    records back as it is. Takes `see` on the study; audited.

    Args:
        id (str):
        instrument (str):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ScoresBody]
    """

    kwargs = _get_kwargs(
        id=id,
        instrument=instrument,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str,
    format_: str | Unset = UNSET,
) -> ErrorBody | ScoresBody | None:
    """A study's scores of one instrument, one row per assessment: JSON, or (`format=csv`) the CSV
    `neurofed scores export` writes (`participant_id,session,examination,<variables>`), which
    records back as it is. Takes `see` on the study; audited.

    Args:
        id (str):
        instrument (str):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ScoresBody
    """

    return sync_detailed(
        id=id,
        client=client,
        instrument=instrument,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str,
    format_: str | Unset = UNSET,
) -> Response[ErrorBody | ScoresBody]:
    """A study's scores of one instrument, one row per assessment: JSON, or (`format=csv`) the CSV
    `neurofed scores export` writes (`participant_id,session,examination,<variables>`), which
    records back as it is. Takes `see` on the study; audited.

    Args:
        id (str):
        instrument (str):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ScoresBody]
    """

    kwargs = _get_kwargs(
        id=id,
        instrument=instrument,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    instrument: str,
    format_: str | Unset = UNSET,
) -> ErrorBody | ScoresBody | None:
    """A study's scores of one instrument, one row per assessment: JSON, or (`format=csv`) the CSV
    `neurofed scores export` writes (`participant_id,session,examination,<variables>`), which
    records back as it is. Takes `see` on the study; audited.

    Args:
        id (str):
        instrument (str):
        format_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ScoresBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            instrument=instrument,
            format_=format_,
        )
    ).parsed
