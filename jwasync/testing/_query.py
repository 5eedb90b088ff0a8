r"""The ``q`` filter and ``sort`` parameter of list requests, as the fake reads them.

JW documents only part of its ``q`` grammar (exact word, quoted phrase, backslash
escapes, ``external_id: x``, ``media_id: x``). The fake implements this assumed
subset and answers 400 ``invalid_query`` for anything else::

    query   := clause ( " AND " clause )*
    clause  := field ":" [spaces] value
    field   := id | title | description | tags | status | external_id | media_id
             | created | last_modified | custom_params.<name>
    value   := word | '"' phrase '"' | "[" bound " TO " bound "]"
    bound   := "*" | ISO-8601 date or date-time (naive means UTC)

- ``\`` escapes the next character; an unescaped ``*`` in a word or phrase is a
  wildcard for any run of characters.
- ``title`` and ``description`` match when the word or phrase occurs as whole
  words, ignoring case (``title: cats`` matches "Wild cats"). ``tags`` matches when
  one tag equals the value, ignoring case. The other fields must equal the value
  exactly.
- Ranges work on ``created`` and ``last_modified`` only, inclusive at both ends,
  ``*`` for an open end: ``created: [2020-01-01T00:00:00+00:00 TO *]``. A plain
  date-time value on those fields means equality.
- ``AND`` is upper case; there is no ``OR``, no parentheses and no negation.

``sort`` is ``field:asc|dsc`` (direction optional, ``asc`` by default), several
comma-separated, on ``id``, ``created``, ``last_modified``, ``title``, ``status``,
``duration`` or ``external_id``. Ties keep the store's insertion order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Clause",
    "QueryError",
    "SortKey",
    "apply_sort",
    "canonical_time",
    "matches",
    "parse_query",
    "parse_sort",
]

JSON = dict[str, Any]

_TEXT_FIELDS = frozenset({"title", "description"})
_EXACT_FIELDS = frozenset({"id", "status", "external_id", "media_id"})
_TIME_FIELDS = frozenset({"created", "last_modified"})
_CUSTOM_PREFIX = "custom_params."

_FIELD = re.compile(r"([a-z_]+(?:\.[A-Za-z0-9_\-]+)?)\s*:\s*")
_AND = re.compile(r"\s+AND\s+")
_RANGE = re.compile(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]")


class QueryError(ValueError):
    """A ``q`` or ``sort`` value the fake cannot read."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One ``field: value`` test.

    Attributes:
        field: The field name as written.
        pattern: The compiled value test for word and phrase clauses.
        low: Inclusive lower bound (canonical time string) for ranges.
        high: Inclusive upper bound (canonical time string) for ranges.
    """

    field: str
    pattern: re.Pattern[str] | None = None
    low: str | None = None
    high: str | None = None


def canonical_time(value: datetime) -> str:
    """Format a time the way the fake stores it, so strings sort chronologically.

    Args:
        value: Any datetime; a naive one is taken as UTC.

    Returns:
        ISO-8601 in UTC with microseconds, e.g. ``2020-01-01T00:00:00.000000+00:00``.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> str:
    try:
        return canonical_time(datetime.fromisoformat(text))
    except ValueError:
        raise QueryError(f"not an ISO-8601 date-time: {text!r}") from None


def parse_query(text: str) -> tuple[Clause, ...]:
    """Parse a ``q`` expression.

    Args:
        text: The raw ``q`` value.

    Returns:
        The clauses, all of which must hold.

    Raises:
        QueryError: When the text is outside the grammar above.
    """
    source = text.strip()
    clauses: list[Clause] = []
    pos = 0
    while True:
        clause, pos = _parse_clause(source, pos)
        clauses.append(clause)
        if pos == len(source):
            return tuple(clauses)
        joiner = _AND.match(source, pos)
        if joiner is None:
            raise QueryError(f"expected ' AND ' at position {pos}")
        pos = joiner.end()


def _parse_clause(source: str, pos: int) -> tuple[Clause, int]:
    head = _FIELD.match(source, pos)
    if head is None:
        raise QueryError(f"expected 'field:' at position {pos}")
    field = head.group(1)
    _check_field(field)
    pos = head.end()
    if source.startswith("[", pos):
        return _parse_range(field, source, pos)
    if source.startswith('"', pos):
        parts, pos = _scan_phrase(source, pos + 1)
    else:
        parts, pos = _scan_word(source, pos)
    return _value_clause(field, parts), pos


def _check_field(field: str) -> None:
    if field.startswith(_CUSTOM_PREFIX):
        return
    if field in _TEXT_FIELDS | _EXACT_FIELDS | _TIME_FIELDS | {"tags"}:
        return
    raise QueryError(f"unknown field {field!r}")


def _parse_range(field: str, source: str, pos: int) -> tuple[Clause, int]:
    if field not in _TIME_FIELDS:
        raise QueryError(f"ranges are supported on created/last_modified, not {field}")
    found = _RANGE.match(source, pos)
    if found is None:
        raise QueryError(f"malformed range at position {pos}")
    low, high = (None if b == "*" else _parse_time(b) for b in found.groups())
    return Clause(field, low=low, high=high), found.end()


# A value is a list of literal strings with ``None`` marking an unescaped ``*``.
_Parts = list[str | None]


def _scan_phrase(source: str, pos: int) -> tuple[_Parts, int]:
    parts: _Parts = []
    while pos < len(source):
        char = source[pos]
        if char == '"':
            return parts, pos + 1
        pos = _take_char(source, pos, parts)
    raise QueryError("unterminated quoted phrase")


def _scan_word(source: str, pos: int) -> tuple[_Parts, int]:
    parts: _Parts = []
    while pos < len(source) and not source[pos].isspace():
        pos = _take_char(source, pos, parts)
    if not parts:
        raise QueryError(f"missing value at position {pos}")
    return parts, pos


def _take_char(source: str, pos: int, parts: _Parts) -> int:
    char = source[pos]
    if char == "\\":
        if pos + 1 >= len(source):
            raise QueryError("dangling backslash")
        parts.append(source[pos + 1])
        return pos + 2
    parts.append(None if char == "*" else char)
    return pos + 1


def _value_clause(field: str, parts: _Parts) -> Clause:
    if field in _TIME_FIELDS and None not in parts:
        exact = _parse_time("".join(p for p in parts if p is not None))
        return Clause(field, low=exact, high=exact)
    body = "".join(".*" if p is None else re.escape(p) for p in parts)
    if field in _TEXT_FIELDS:
        return Clause(field, re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE))
    if field == "tags":
        return Clause(field, re.compile(body, re.IGNORECASE))
    return Clause(field, re.compile(body))


def _field_values(item: Mapping[str, Any], field: str) -> list[str]:
    metadata = item.get("metadata") or {}
    if field.startswith(_CUSTOM_PREFIX):
        value = (metadata.get("custom_params") or {}).get(field[len(_CUSTOM_PREFIX) :])
        return [] if value is None else [str(value)]
    if field == "tags":
        return [str(tag) for tag in metadata.get("tags") or ()]
    if field == "media_id":
        return _media_ids(item)
    value = item.get(field, metadata.get(field))
    return [] if value is None else [str(value)]


def _media_ids(item: Mapping[str, Any]) -> list[str]:
    found = [str(item["media_id"])] if item.get("media_id") else []
    for related in (item.get("relationships") or {}).get("media") or ():
        if isinstance(related, Mapping) and related.get("id"):
            found.append(str(related["id"]))
    return found


def _clause_holds(item: Mapping[str, Any], clause: Clause) -> bool:
    values = _field_values(item, clause.field)
    if clause.pattern is not None:
        if clause.field in _TEXT_FIELDS:
            return any(clause.pattern.search(v) for v in values)
        return any(clause.pattern.fullmatch(v) for v in values)
    return any(
        (clause.low is None or clause.low <= v)
        and (clause.high is None or v <= clause.high)
        for v in values
    )


def matches(item: Mapping[str, Any], clauses: Iterable[Clause]) -> bool:
    """Tell whether an object satisfies every clause.

    Args:
        item: A stored object.
        clauses: Parsed clauses from :func:`parse_query`.

    Returns:
        True when all clauses hold.
    """
    return all(_clause_holds(item, clause) for clause in clauses)


def _metadata_text(name: str) -> Callable[[JSON], str]:
    def key(item: JSON) -> str:
        return str((item.get("metadata") or {}).get(name) or "")

    return key


def _top_text(name: str) -> Callable[[JSON], str]:
    def key(item: JSON) -> str:
        return str(item.get(name) or "")

    return key


def _duration(item: JSON) -> float:
    value = item.get("duration")
    return float(value) if isinstance(value, int | float) else 0.0


_SORT_FIELDS: dict[str, Callable[[JSON], Any]] = {
    "id": _top_text("id"),
    "created": _top_text("created"),
    "last_modified": _top_text("last_modified"),
    "status": _top_text("status"),
    "external_id": _top_text("external_id"),
    "title": _metadata_text("title"),
    "duration": _duration,
}


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ``field:direction`` of a ``sort`` value."""

    field: str
    descending: bool


def parse_sort(text: str) -> tuple[SortKey, ...]:
    """Parse a ``sort`` value such as ``created:dsc,title:asc``.

    Args:
        text: The raw ``sort`` value.

    Returns:
        The keys, most significant first.

    Raises:
        QueryError: For an unknown field or direction.
    """
    keys: list[SortKey] = []
    for raw in text.split(","):
        field, _, direction = raw.strip().partition(":")
        if field not in _SORT_FIELDS:
            raise QueryError(f"cannot sort on {field!r}")
        if direction not in ("", "asc", "dsc"):
            raise QueryError(f"sort direction must be asc or dsc, not {direction!r}")
        keys.append(SortKey(field, descending=direction == "dsc"))
    return tuple(keys)


def apply_sort(items: list[JSON], keys: Iterable[SortKey]) -> None:
    """Sort ``items`` in place, most significant key first, ties stable.

    Args:
        items: Objects in insertion order.
        keys: Parsed keys from :func:`parse_sort`.
    """
    # Stable sorts applied from the least significant key upwards give a
    # multi-key order with independent directions.
    for key in reversed(tuple(keys)):
        items.sort(key=_SORT_FIELDS[key.field], reverse=key.descending)
