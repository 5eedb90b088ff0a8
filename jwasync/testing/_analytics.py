"""Synthetic answers for ``POST /v2/sites/{site}/analytics/queries/``.

The fake returns the documented shape (jw-api.md §3.8) with made-up but stable
rows: the same query always gives the same numbers. ``page`` is 0-based and
``page_length`` at most 100, both in the body; a page past the last row has an
empty ``rows`` list.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from ._http import ApiError, json_response

__all__ = ["answer_query"]

JSON = dict[str, Any]

_SOURCES = frozenset({"default", "floatleft"})
_FORMATS = frozenset({"json", "csv"})
_RELATIVE_DAYS = {
    "7 Days": 7,
    "30 Days": 30,
    "90 Days": 90,
    "Last Quarter": 90,
    "Today": 0,
    "Yesterday": 1,
}
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "BR", "IN", "JP")


def _bad(description: str) -> ApiError:
    return ApiError(400, "invalid_body", description)


def _int_field(
    body: Mapping[str, Any], name: str, default: int, low: int, high: int
) -> int:
    value = body.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise _bad(f"{name} must be an integer from {low} to {high}.")
    return value


def _date_range(body: Mapping[str, Any], today: date) -> tuple[str, str]:
    relative = body.get("relative_timeframe")
    if relative is not None:
        if relative == "Month To Date":
            return today.replace(day=1).isoformat(), today.isoformat()
        if relative not in _RELATIVE_DAYS:
            raise _bad(f"Unknown relative_timeframe {relative!r}.")
        start = today - timedelta(days=_RELATIVE_DAYS[relative])
        end = start if relative == "Yesterday" else today
        return start.isoformat(), end.isoformat()
    try:
        start_text, end_text = str(body["start_date"]), str(body["end_date"])
        if date.fromisoformat(start_text) > date.fromisoformat(end_text):
            raise _bad("start_date is after end_date.")
    except (KeyError, ValueError):
        raise _bad(
            "Give start_date and end_date (YYYY-MM-DD) or relative_timeframe."
        ) from None
    return start_text, end_text


def _strings(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{name} must be a list of strings.")
    return value


def _metric_fields(body: Mapping[str, Any]) -> list[str]:
    value = body.get("metrics", [{"field": "plays", "operation": "sum"}])
    if not isinstance(value, list):
        raise _bad("metrics must be a list of {field, operation}.")
    fields: list[str] = []
    for metric in value:
        if not isinstance(metric, dict) or not isinstance(metric.get("field"), str):
            raise _bad("metrics must be a list of {field, operation}.")
        fields.append(metric["field"])
    return fields


def _dimension_value(name: str, row: int, media_ids: Sequence[str]) -> str:
    if name == "media_id":
        return media_ids[row % len(media_ids)] if media_ids else f"media{row:05d}"
    if name == "country_code":
        return _COUNTRIES[row % len(_COUNTRIES)]
    return f"{name}_{row}"


def _metric_value(name: str, row: int, start: str) -> int:
    seed = hashlib.sha256(f"{name}:{row}:{start}".encode()).digest()
    return int.from_bytes(seed[:3], "big") % 10_000


def answer_query(
    body: Mapping[str, Any],
    query: Mapping[str, str],
    *,
    total_rows: int,
    media_ids: Sequence[str],
    today: date,
) -> web.Response:
    """Answer one analytics query.

    Args:
        body: The POST body (dimensions, metrics, dates, page, page_length).
        query: The URL query (``source``, ``format``).
        total_rows: How many rows a query with dimensions has in all.
        media_ids: Ids used for the ``media_id`` dimension.
        today: The date relative timeframes count back from.

    Returns:
        JSON or CSV, as ``format`` asks.

    Raises:
        ApiError: 400 for a bad source, format or body.
    """
    source = query.get("source", "default")
    fmt = query.get("format", "json")
    if source not in _SOURCES or fmt not in _FORMATS:
        raise ApiError(400, "invalid_parameter", "source or format is not supported.")
    dimensions = _strings(body, "dimensions")
    metrics = _metric_fields(body)
    start, end = _date_range(body, today)
    page = _int_field(body, "page", 0, 0, 1_000_000)
    page_length = _int_field(body, "page_length", 10, 1, 100)
    available = total_rows if dimensions else 1
    first = page * page_length
    rows: list[list[Any]] = [
        [_dimension_value(d, r, media_ids) for d in dimensions]
        + [_metric_value(m, r, start) for m in metrics]
        for r in range(first, min(first + page_length, available))
    ]
    if fmt == "csv":
        return _csv_response(dimensions + metrics, rows)
    return json_response(
        {
            "data": {"rows": rows},
            "metadata": {
                "column_headers": {
                    "dimensions": [{"field": d, "type": "string"} for d in dimensions],
                    "metrics": [{"field": m, "units": "count"} for m in metrics],
                },
                "start_date": start,
                "end_date": end,
                "name": {},
            },
            "includes": {},
            "page": page,
            "page_length": page_length,
            "type": "query_results",
        }
    )


def _csv_response(header: list[str], rows: list[list[Any]]) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return web.Response(text=out.getvalue(), content_type="text/csv")
