from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.account_request import AccountRequest
from ...models.account_request_body import AccountRequestBody
from ...models.error_body import ErrorBody
from ...types import Response


def _get_kwargs(
    *,
    body: AccountRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/account-requests",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AccountRequestBody | ErrorBody | None:
    if response.status_code == 202:
        response_202 = AccountRequestBody.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AccountRequestBody | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AccountRequest,
) -> Response[AccountRequestBody | ErrorBody]:
    """Ask for an account with rights on a study (no authentication): the account is created
    disabled and enabled when a study administrator approves. The answer is the same whether
    or not the name is taken (a taken name makes no request), so that it does not tell which
    accounts exist; requests are limited per client address and in all (429, `Retry-After`).

    Args:
        body (AccountRequest): `POST /account-requests`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountRequestBody | ErrorBody]
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
    body: AccountRequest,
) -> AccountRequestBody | ErrorBody | None:
    """Ask for an account with rights on a study (no authentication): the account is created
    disabled and enabled when a study administrator approves. The answer is the same whether
    or not the name is taken (a taken name makes no request), so that it does not tell which
    accounts exist; requests are limited per client address and in all (429, `Retry-After`).

    Args:
        body (AccountRequest): `POST /account-requests`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountRequestBody | ErrorBody
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AccountRequest,
) -> Response[AccountRequestBody | ErrorBody]:
    """Ask for an account with rights on a study (no authentication): the account is created
    disabled and enabled when a study administrator approves. The answer is the same whether
    or not the name is taken (a taken name makes no request), so that it does not tell which
    accounts exist; requests are limited per client address and in all (429, `Retry-After`).

    Args:
        body (AccountRequest): `POST /account-requests`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountRequestBody | ErrorBody]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AccountRequest,
) -> AccountRequestBody | ErrorBody | None:
    """Ask for an account with rights on a study (no authentication): the account is created
    disabled and enabled when a study administrator approves. The answer is the same whether
    or not the name is taken (a taken name makes no request), so that it does not tell which
    accounts exist; requests are limited per client address and in all (429, `Retry-After`).

    Args:
        body (AccountRequest): `POST /account-requests`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountRequestBody | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
