"""One page of a collection listing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidResponseError

__all__ = ["Page", "page_from_json"]


@dataclass(frozen=True)
class Page:
    """One page of a collection listing.

    Iterating a page yields its items; ``len(page)`` is the number on this page,
    ``page.total`` the number matching the query across all pages.

    Attributes:
        items: The objects on this page.
        page: The 1-based page number.
        page_length: The page size asked for.
        total: How many objects match the query in all.
        key: The collection key the items came under (``"media"``, say).
    """

    items: list[dict[str, Any]]
    page: int
    page_length: int
    total: int
    key: str = field(default="", compare=False)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_more(self) -> bool:
        """Whether a later page may hold more items."""
        return bool(self.items) and self.page * self.page_length < self.total


def _as_int(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return default


def page_from_json(
    data: Any, key: str, *, page: int, page_length: int, path: str = ""
) -> Page:
    """Build a :class:`Page` from a list response.

    Raises:
        InvalidResponseError: The body is not a listing with ``key`` as a list.
    """
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidResponseError(
            f"GET {path}: listing has no {key!r} list of objects",
            status=200,
            method="GET",
            path=path,
        )
    return Page(
        items=items,
        page=_as_int(data.get("page"), page),
        page_length=_as_int(data.get("page_length"), page_length),
        total=_as_int(data.get("total"), len(items)),
        key=key,
    )
