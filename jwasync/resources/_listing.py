"""How ``iterate`` walks a collection: page numbers, or windows on creation time.

The API returns at most 10,000 results per query, whatever the paging
(jw-api.md §4). Numbered pages therefore stop short on a large library, and they
skip or repeat items when the library changes between two requests. Two strategies
are offered; anything with the same ``iterate`` method can be passed instead:

- :class:`PageNumbers` asks for page 1, 2, 3, ... of one query. It works on every
  collection and any ``sort``, and is subject to the cap.
- :class:`CreatedWindows` (the default for media) pages by key instead of by
  number: each request asks for the *first* page of ``created: [T TO *]``, sorted
  ``created:asc,id:asc``, where ``T`` is the creation time of the last item
  yielded. Items created at ``T`` that were already yielded are skipped by id.
  Every request is a fresh query whose results start at the window's edge, so the
  cap never applies, deleting an item cannot shift an unseen one out of view, and
  no item is yielded twice.

Note:
    :class:`CreatedWindows` relies on two things JW does not document: range
    filters of the form ``created: [A TO B]`` (``*`` for an open end) joined to other
    clauses with `` AND ``, and sorting on ``id``. Subclass it and override
    :meth:`CreatedWindows.window` if the API wants another syntax, or pass
    ``strategy=PageNumbers()`` to avoid both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .._errors import InvalidResponseError, ListingError
from .._pagination import Page

__all__ = [
    "CreatedWindows",
    "Fetch",
    "ListingError",
    "ListingStrategy",
    "PageNumbers",
]

JSON = dict[str, Any]

# JW times carry microseconds; a window that must start just past a time uses this.
_TICK = timedelta(microseconds=1)


class Fetch(Protocol):
    """Returns one page of the collection being listed.

    Attributes:
        path: The listing's path, for error messages.
    """

    path: str

    async def __call__(
        self, *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        """Request ``page`` of the query ``q`` ordered by ``sort``."""
        ...


class ListingStrategy(Protocol):
    """Turns page requests into one stream of items, each yielded once."""

    def iterate(
        self, fetch: Fetch, *, q: str | None, sort: str | None, page_length: int
    ) -> AsyncIterator[JSON]:
        """Yield every item matching ``q``.

        Args:
            fetch: Requests one page.
            q: The caller's filter, or None.
            sort: The caller's order, or None for the strategy's own.
            page_length: The page size to ask for.
        """
        ...


def _item_id(item: JSON, path: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise InvalidResponseError(
            f"GET {path}: a listed item has no 'id'",
            status=200,
            method="GET",
            path=path,
        )
    return value


@dataclass(frozen=True)
class PageNumbers:
    """Page 1, 2, 3, ... of a single query.

    Works with any ``q`` and ``sort`` on any collection. Items are de-duplicated by
    id, so an item added at the front while paging is not yielded twice.

    Note:
        The API serves only the first 10,000 results of a query, so this stops
        there on a larger collection. An item deleted while paging shifts the
        later ones forward, and one of them can be missed.
    """

    async def iterate(
        self, fetch: Fetch, *, q: str | None, sort: str | None, page_length: int
    ) -> AsyncIterator[JSON]:
        """Yield every item of the query, page after page (see the class)."""
        seen: set[str] = set()
        number = 1
        while True:
            page = await fetch(page=number, page_length=page_length, q=q, sort=sort)
            fresh = 0
            for item in page.items:
                item_id = _item_id(item, fetch.path)
                if item_id in seen:
                    continue
                seen.add(item_id)
                fresh += 1
                yield item
            if len(page.items) < page_length or number * page_length >= page.total:
                return
            if not fresh:
                return  # a full page of repeats: the server ignores ``page``
            number += 1


@dataclass(frozen=True)
class CreatedWindows:
    """Key-set paging on creation time; lists past the 10,000-result cap.

    See the module documentation for how it works. ``sort`` may be None or
    ``"created:asc"`` (oldest first, the default) or ``"created:dsc"`` (newest
    first); ``id`` is added as the tie-breaker. Other orders raise ``ValueError``:
    use :class:`PageNumbers` for them.

    Items created at the same instant are read together: when a whole page shares
    one creation time the next request asks for a longer page, up to
    ``max_page_length``. A group larger than that is paged by number within an
    exact-time query, stepping back when the group shrinks between requests.

    Args:
        field: The time field to window on; it must never change once set.
        max_page_length: The longest page to ask for when a page is all one
            creation time.

    Raises:
        ValueError: An invalid ``max_page_length``.
    """

    field: str = "created"
    max_page_length: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.max_page_length <= 10_000:
            raise ValueError("max_page_length must be between 1 and 10000")

    # -- the parts a subclass may change -------------------------------------------

    def window(self, low: str | None, high: str | None) -> str:
        """Return the ``q`` clause for ``low <= field <= high`` (None: open end)."""
        return f"{self.field}: [{low or '*'} TO {high or '*'}]"

    def order(self, descending: bool) -> str:
        """Return the ``sort`` value: the time field, then ``id``, one direction."""
        direction = "dsc" if descending else "asc"
        return f"{self.field}:{direction},id:{direction}"

    def format_time(self, value: datetime) -> str:
        """Format a computed bound (one tick past a time group) for :meth:`window`."""
        return value.isoformat(timespec="microseconds")

    # -- the walk -------------------------------------------------------------------

    def iterate(
        self, fetch: Fetch, *, q: str | None, sort: str | None, page_length: int
    ) -> AsyncIterator[JSON]:
        """Yield every item matching ``q`` in creation order (see the class).

        Raises:
            ValueError: ``sort`` is not an order by creation time.
        """
        descending = self._descending(sort)
        return _Walk(self, fetch, q, descending, page_length).items()

    def _descending(self, sort: str | None) -> bool:
        if sort is None:
            return False
        wanted = sort.replace(" ", "")
        for descending in (False, True):
            full = self.order(descending)
            if wanted in {full, full.partition(",")[0]}:
                return descending
        raise ValueError(
            f"CreatedWindows lists in {self.field} order only (sort=None, "
            f"'{self.field}:asc' or '{self.field}:dsc'); pass strategy=PageNumbers() "
            "for another order, at the price of the API's 10,000-result cap"
        )


class _Walk:
    """The state of one :meth:`CreatedWindows.iterate` run."""

    def __init__(
        self,
        strategy: CreatedWindows,
        fetch: Fetch,
        q: str | None,
        descending: bool,
        page_length: int,
    ) -> None:
        self.strategy = strategy
        self.fetch = fetch
        self.q = q
        self.descending = descending
        self.page_length = page_length
        self.sort = strategy.order(descending)
        # The edge of the window: the time of the last item yielded, as the API
        # wrote it and parsed, and the ids yielded at exactly that time.
        self.edge: str | None = None
        self.edge_at: datetime | None = None
        self.seen: set[str] = set()

    def _query(self, low: str | None, high: str | None) -> str:
        clause = self.strategy.window(low, high)
        return clause if not self.q else f"{self.q} AND {clause}"

    def _from_edge(self) -> str:
        if self.descending:
            return self._query(None, self.edge)
        return self._query(self.edge, None)

    def _time(self, item: JSON) -> tuple[str, datetime]:
        value = item.get(self.strategy.field)
        raw = value if isinstance(value, str) else ""
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            path = self.fetch.path
            raise InvalidResponseError(
                f"GET {path}: a listed item has no ISO-8601 {self.strategy.field!r}",
                status=200,
                method="GET",
                path=path,
            ) from None
        return raw, at if at.tzinfo else at.replace(tzinfo=UTC)

    def _accept(self, item: JSON) -> bool:
        """Move the edge to ``item``; False if it was already yielded."""
        item_id = _item_id(item, self.fetch.path)
        raw, at = self._time(item)
        if self.edge_at is not None:
            behind = at > self.edge_at if self.descending else at < self.edge_at
            if behind:
                path = self.fetch.path
                raise InvalidResponseError(
                    f"GET {path}: the listing ignored its {self.strategy.field} window",
                    status=200,
                    method="GET",
                    path=path,
                )
            if at == self.edge_at:
                if item_id in self.seen:
                    return False
                self.seen.add(item_id)
                return True
        self.edge, self.edge_at, self.seen = raw, at, {item_id}
        return True

    async def items(self) -> AsyncIterator[JSON]:
        length = self.page_length
        while True:
            page = await self.fetch(
                page=1, page_length=length, q=self._from_edge(), sort=self.sort
            )
            for item in page.items:
                if self._accept(item):
                    yield item
            got = len(page.items)
            if not got or (got < length and page.total <= got):
                return  # a short or empty page that the total agrees is the last
            # A short page that the total says is not the last was cut by a
            # per-query cap smaller than the page: ask for no more than that.
            capped = got < length
            first, last = self._time(page.items[0])[1], self._time(page.items[-1])[1]
            if first != last:
                # The page reached past the edge's instant, so it brought new items.
                length = min(self.page_length, got)
            elif not capped and length < self.strategy.max_page_length:
                # A page of one instant: read that whole group in one longer page.
                length = min(2 * length, self.strategy.max_page_length)
            elif self.edge is not None and self.edge_at is not None:
                async for item in self._rest_of_group(self.edge, self.edge_at, got):
                    yield item
                length = min(self.page_length, got)

    async def _rest_of_group(
        self, edge: str, edge_at: datetime, length: int
    ) -> AsyncIterator[JSON]:
        """Page through every item created at ``edge``, then step past it.

        Only reached when more than ``max_page_length`` items share one time. The
        walk pages by number through the exact-time query from page 1 (the items
        already yielded are skipped by id). Deleting an item shifts the later ones
        forward; a shrinking ``total`` says by how much, and the walk steps back
        that far before going on.
        """
        query = self._query(edge, edge)
        number, previous_total = 1, -1
        while True:
            page = await self.fetch(
                page=number, page_length=length, q=query, sort=self.sort
            )
            if 0 <= page.total < previous_total:
                gone = previous_total - page.total
                number = max(1, ((number - 1) * length - gone) // length + 1)
                previous_total = page.total
                continue
            previous_total = page.total
            for item in page.items:
                if self._accept(item):
                    yield item
            shown = (number - 1) * length + len(page.items)
            if shown >= page.total:
                break
            if len(page.items) < length:
                raise ListingError(
                    f"GET {self.fetch.path}: {page.total} items share "
                    f"{self.strategy.field}={edge} and the API returns only the "
                    f"first {shown} of them"
                )
            number += 1
        step = -_TICK if self.descending else _TICK
        self.edge_at = edge_at + step
        self.edge = self.strategy.format_time(self.edge_at)
        self.seen = set()
