from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.assessment_rows import AssessmentRows
from ...models.error_body import ErrorBody
from ...models.scores_report_body import ScoresReportBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    body: AssessmentRows,
    instrument: str,
    dry_run: bool | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["instrument"] = instrument

    params["dry_run"] = dry_run

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/studies/{id}/assessments".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ScoresReportBody | None:
    if response.status_code == 200:
        response_200 = ScoresReportBody.from_dict(response.json())

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
) -> Response[ErrorBody | ScoresReportBody]:
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
    body: AssessmentRows,
    instrument: str,
    dry_run: bool | Unset = UNSET,
) -> Response[ErrorBody | ScoresReportBody]:
    """Record assessments of one instrument in a study: JSON rows, or a table (`text/csv`: comma,
    semicolon or tab separated, with a subject column, an optional `session`/`examination` column
    and one column per variable, as `neurofed scores import` reads it). All rows or none: when a
    row is bad, nothing is recorded and the 400 names every bad row (`line N` of a table, `row N`
    of JSON). `dry_run=true` reports what would change. Takes `import` on the study; audited.

    Args:
        id (str):
        instrument (str):
        dry_run (bool | Unset):
        body (AssessmentRows): `POST /studies/{id}/assessments` as JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ScoresReportBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        instrument=instrument,
        dry_run=dry_run,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AssessmentRows,
    instrument: str,
    dry_run: bool | Unset = UNSET,
) -> ErrorBody | ScoresReportBody | None:
    """Record assessments of one instrument in a study: JSON rows, or a table (`text/csv`: comma,
    semicolon or tab separated, with a subject column, an optional `session`/`examination` column
    and one column per variable, as `neurofed scores import` reads it). All rows or none: when a
    row is bad, nothing is recorded and the 400 names every bad row (`line N` of a table, `row N`
    of JSON). `dry_run=true` reports what would change. Takes `import` on the study; audited.

    Args:
        id (str):
        instrument (str):
        dry_run (bool | Unset):
        body (AssessmentRows): `POST /studies/{id}/assessments` as JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ScoresReportBody
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
        instrument=instrument,
        dry_run=dry_run,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AssessmentRows,
    instrument: str,
    dry_run: bool | Unset = UNSET,
) -> Response[ErrorBody | ScoresReportBody]:
    """Record assessments of one instrument in a study: JSON rows, or a table (`text/csv`: comma,
    semicolon or tab separated, with a subject column, an optional `session`/`examination` column
    and one column per variable, as `neurofed scores import` reads it). All rows or none: when a
    row is bad, nothing is recorded and the 400 names every bad row (`line N` of a table, `row N`
    of JSON). `dry_run=true` reports what would change. Takes `import` on the study; audited.

    Args:
        id (str):
        instrument (str):
        dry_run (bool | Unset):
        body (AssessmentRows): `POST /studies/{id}/assessments` as JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ScoresReportBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        instrument=instrument,
        dry_run=dry_run,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: AssessmentRows,
    instrument: str,
    dry_run: bool | Unset = UNSET,
) -> ErrorBody | ScoresReportBody | None:
    """Record assessments of one instrument in a study: JSON rows, or a table (`text/csv`: comma,
    semicolon or tab separated, with a subject column, an optional `session`/`examination` column
    and one column per variable, as `neurofed scores import` reads it). All rows or none: when a
    row is bad, nothing is recorded and the 400 names every bad row (`line N` of a table, `row N`
    of JSON). `dry_run=true` reports what would change. Takes `import` on the study; audited.

    Args:
        id (str):
        instrument (str):
        dry_run (bool | Unset):
        body (AssessmentRows): `POST /studies/{id}/assessments` as JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ScoresReportBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
            instrument=instrument,
            dry_run=dry_run,
        )
    ).parsed
