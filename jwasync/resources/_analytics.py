"""Analytics queries: ``POST /v2/sites/{site_id}/analytics/queries/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

from .._errors import InvalidResponseError
from .._paths import check_id
from ._base import JSON, Body, Resource
from ._routes import route

__all__ = ["Analytics", "AnalyticsSource", "Row"]

Row = list[Any]
"""One result row: dimension values, then metric values, in column order."""

AnalyticsSource = Literal["default", "floatleft"]
"""``default`` for web players, ``floatleft`` for OTT apps."""

MAX_ROWS_PER_PAGE = 100


def _check_source(source: str) -> str:
    if source not in ("default", "floatleft"):
        raise ValueError(f"source must be 'default' or 'floatleft', not {source!r}")
    return source


class Analytics(Resource):
    """Analytics reports of a site (jw-api.md §3.8).

    A query body names ``start_date``/``end_date`` (``YYYY-MM-DD``) or a
    ``relative_timeframe`` (``"7 Days"``, ...), ``dimensions``, ``metrics``
    (``[{"field": "plays", "operation": "sum"}]``), and optionally ``filter``,
    ``sort``, ``page`` (0-based) and ``page_length`` (at most 100). A query only
    reads, so it is retried like a GET although it is sent as a POST.
    """

    accessor = "analytics"

    async def query(
        self,
        site_id: str,
        body: Body,
        *,
        source: AnalyticsSource = "default",
        format: Literal["json"] = "json",
    ) -> JSON:
        """Run one query and return one page of results.

        Args:
            site_id: The site (property) id.
            body: The query.
            source: ``"default"`` or ``"floatleft"`` (OTT data).
            format: The answer's format. Only ``"json"`` for now.

        Returns:
            ``{"data": {"rows": [...]}, "metadata": {...}, "page": n, ...}``.

        Raises:
            ValueError: An unknown ``source`` or ``format``.
        """
        if format != "json":
            raise ValueError("format must be 'json'; CSV answers are not supported yet")
        params = {"source": _check_source(source), "format": format}
        return await self._object("query", {"site_id": site_id}, body, params=params)

    def iterate(
        self,
        site_id: str,
        body: Body,
        *,
        source: AnalyticsSource = "default",
        page_length: int = MAX_ROWS_PER_PAGE,
    ) -> AsyncIterator[Row]:
        """Yield the query's result rows across its pages.

        Pages are 0-based and hold at most 100 rows; the walk starts at the body's
        ``page`` (default 0) and stops after a short or empty page.

        Args:
            site_id: The site (property) id.
            body: The query; its ``page`` and ``page_length`` are set per request.
            source: ``"default"`` or ``"floatleft"``.
            page_length: Rows per request, 1 to 100.

        Raises:
            ValueError: An invalid ``source`` or ``page_length``.
            InvalidIdError: ``site_id`` is not a valid id.
        """
        check_id(site_id, "site_id")
        _check_source(source)
        if not 1 <= page_length <= MAX_ROWS_PER_PAGE:
            raise ValueError("page_length must be between 1 and 100")
        first = body.get("page", 0)
        if isinstance(first, bool) or not isinstance(first, int) or first < 0:
            raise ValueError("the body's page must be a non-negative integer")
        return self._rows(site_id, dict(body), source, first, page_length)

    async def _rows(
        self, site_id: str, body: JSON, source: AnalyticsSource, first: int, length: int
    ) -> AsyncIterator[Row]:
        number = first
        while True:
            body.update(page=number, page_length=length)
            answer = await self.query(site_id, body, source=source)
            rows = _rows_of(answer, number, site_id)
            for row in rows:
                yield row
            if len(rows) < length:
                return
            number += 1


def _rows_of(answer: JSON, number: int, site_id: str) -> list[Row]:
    data = answer.get("data")
    rows = data.get("rows") if isinstance(data, dict) else None
    echoed = answer.get("page", number)
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        problem = "has no data.rows list"
    elif echoed != number:
        problem = f"answered page {echoed!r} when asked for page {number}"
    else:
        return rows
    path = route("analytics", "query").path.format(site_id=site_id)
    raise InvalidResponseError(
        f"POST {path}: the analytics answer {problem}",
        status=200,
        method="POST",
        path=path,
    )
