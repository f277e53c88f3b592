from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.federated_body import FederatedBody
from ...models.search_body import SearchBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: str | Unset = UNSET,
    filter_: list[str] | Unset = UNSET,
    facet: list[str] | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    sort: str | Unset = UNSET,
    scope: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["q"] = q

    json_filter_: list[str] | Unset = UNSET
    if not isinstance(filter_, Unset):
        json_filter_ = filter_

    params["filter"] = json_filter_

    json_facet: list[str] | Unset = UNSET
    if not isinstance(facet, Unset):
        json_facet = facet

    params["facet"] = json_facet

    params["limit"] = limit

    params["offset"] = offset

    params["sort"] = sort

    params["scope"] = scope

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/search",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | FederatedBody | SearchBody | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> FederatedBody | SearchBody:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_search_answer_type_0 = SearchBody.from_dict(data)

                return componentsschemas_search_answer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_search_answer_type_1 = FederatedBody.from_dict(data)

            return componentsschemas_search_answer_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | FederatedBody | SearchBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    filter_: list[str] | Unset = UNSET,
    facet: list[str] | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    sort: str | Unset = UNSET,
    scope: str | Unset = UNSET,
) -> Response[ErrorBody | FederatedBody | SearchBody]:
    """Faceted search over the datasets the caller may see: hits and facet counts are filtered
    alike, inside the index query. Audited (query structure, not its text).

    Args:
        q (str | Unset):
        filter_ (list[str] | Unset):
        facet (list[str] | Unset):
        limit (int | Unset):
        offset (int | Unset):
        sort (str | Unset):
        scope (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FederatedBody | SearchBody]
    """

    kwargs = _get_kwargs(
        q=q,
        filter_=filter_,
        facet=facet,
        limit=limit,
        offset=offset,
        sort=sort,
        scope=scope,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    filter_: list[str] | Unset = UNSET,
    facet: list[str] | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    sort: str | Unset = UNSET,
    scope: str | Unset = UNSET,
) -> ErrorBody | FederatedBody | SearchBody | None:
    """Faceted search over the datasets the caller may see: hits and facet counts are filtered
    alike, inside the index query. Audited (query structure, not its text).

    Args:
        q (str | Unset):
        filter_ (list[str] | Unset):
        facet (list[str] | Unset):
        limit (int | Unset):
        offset (int | Unset):
        sort (str | Unset):
        scope (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FederatedBody | SearchBody
    """

    return sync_detailed(
        client=client,
        q=q,
        filter_=filter_,
        facet=facet,
        limit=limit,
        offset=offset,
        sort=sort,
        scope=scope,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    filter_: list[str] | Unset = UNSET,
    facet: list[str] | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    sort: str | Unset = UNSET,
    scope: str | Unset = UNSET,
) -> Response[ErrorBody | FederatedBody | SearchBody]:
    """Faceted search over the datasets the caller may see: hits and facet counts are filtered
    alike, inside the index query. Audited (query structure, not its text).

    Args:
        q (str | Unset):
        filter_ (list[str] | Unset):
        facet (list[str] | Unset):
        limit (int | Unset):
        offset (int | Unset):
        sort (str | Unset):
        scope (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FederatedBody | SearchBody]
    """

    kwargs = _get_kwargs(
        q=q,
        filter_=filter_,
        facet=facet,
        limit=limit,
        offset=offset,
        sort=sort,
        scope=scope,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    filter_: list[str] | Unset = UNSET,
    facet: list[str] | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    sort: str | Unset = UNSET,
    scope: str | Unset = UNSET,
) -> ErrorBody | FederatedBody | SearchBody | None:
    """Faceted search over the datasets the caller may see: hits and facet counts are filtered
    alike, inside the index query. Audited (query structure, not its text).

    Args:
        q (str | Unset):
        filter_ (list[str] | Unset):
        facet (list[str] | Unset):
        limit (int | Unset):
        offset (int | Unset):
        sort (str | Unset):
        scope (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FederatedBody | SearchBody
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            filter_=filter_,
            facet=facet,
            limit=limit,
            offset=offset,
            sort=sort,
            scope=scope,
        )
    ).parsed
