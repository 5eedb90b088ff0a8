"""The listing strategies against an in-memory library that changes while it pages.

:class:`Library` answers page requests the way the fake (and, we assume, JW) does:
``created: [A TO B]`` windows joined by `` AND ``, ``sort`` on ``created``/``id``,
a per-query result cap that keeps ``total`` at the full count. A hook runs before
each answer so a test can add or delete items between two requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jwasync import InvalidResponseError, Page
from jwasync.resources import CreatedWindows, ListingError, PageNumbers

START = datetime(2020, 1, 1, tzinfo=UTC)
_WINDOW = re.compile(r"created: \[(\S+) TO (\S+)\]")


def stamp(second: float) -> str:
    return (START + timedelta(seconds=second)).isoformat(timespec="microseconds")


def _bound(text: str) -> datetime | None:
    return None if text == "*" else datetime.fromisoformat(text)


class Library:
    """A media collection in memory, answering like the API's list route."""

    path = "/v2/sites/Abc12345/media/"

    def __init__(self, *, cap: int | None = None, max_page_length: int = 1000):
        self.items: dict[str, str] = {}  # id -> created
        self.cap = cap
        self.max_page_length = max_page_length
        self.requests: list[dict[str, Any]] = []
        self.before_answer: Callable[[int], None] = lambda n: None
        self._next = 0

    def add(self, created: str) -> str:
        item_id = f"id{self._next:06d}"
        self._next += 1
        self.items[item_id] = created
        return item_id

    def seed(self, groups: list[int], *, spacing: float = 1.0) -> list[str]:
        """Add ``groups[k]`` items created at instant k; return their ids."""
        return [
            self.add(stamp(k * spacing))
            for k, size in enumerate(groups)
            for _ in range(size)
        ]

    def _matches(self, created: str, q: str | None) -> bool:
        if not q:
            return True
        at = datetime.fromisoformat(created)
        for clause in q.split(" AND "):
            window = _WINDOW.fullmatch(clause)
            if window is None:
                raise AssertionError(f"unexpected clause {clause!r}")
            low, high = (_bound(b) for b in window.groups())
            if (low is not None and at < low) or (high is not None and at > high):
                return False
        return True

    async def __call__(
        self, *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        assert 1 <= page_length <= self.max_page_length
        self.requests.append({"page": page, "page_length": page_length, "q": q})
        self.before_answer(len(self.requests))
        view = [(c, i) for i, c in self.items.items() if self._matches(c, q)]

        def key(pair: tuple[str, str]) -> tuple[datetime, str]:
            return datetime.fromisoformat(pair[0]), pair[1]

        view.sort(key=key, reverse=sort in (None, "created:dsc,id:dsc"))
        reachable = view if self.cap is None else view[: self.cap]
        start = (page - 1) * page_length
        chunk = reachable[start : start + page_length]
        return Page(
            items=[{"id": i, "created": c} for c, i in chunk],
            page=page,
            page_length=page_length,
            total=len(view),
            key="media",
        )


async def collect(
    library: Library,
    strategy: CreatedWindows | PageNumbers,
    *,
    page_length: int,
    sort: str | None = None,
    limit: int = 100_000,
) -> list[dict[str, Any]]:
    found = []
    items = strategy.iterate(library, q=None, sort=sort, page_length=page_length)
    async for item in items:
        found.append(item)
        assert len(found) <= limit, "runaway iteration"
    return found


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def assert_in_order(
    items: list[dict[str, Any]], *, descending: bool = False, by_id: bool = True
) -> None:
    """Creation order, then id order within an instant unless ``by_id`` is off."""
    keys = [
        (datetime.fromisoformat(i["created"]), i["id"] if by_id else "") for i in items
    ]
    assert keys == sorted(keys, reverse=descending)


# -- CreatedWindows ---------------------------------------------------------------


async def test_lists_past_the_cap_in_creation_order() -> None:
    library = Library(cap=50)
    everything = library.seed([1] * 237)

    found = await collect(library, CreatedWindows(), page_length=10)

    assert ids(found) == everything
    assert_in_order(found)
    # Each request is page 1 of a window: never past the cap.
    assert {r["page"] for r in library.requests} == {1}
    assert len(library.requests) <= 237 // 9 + 2


async def test_page_numbers_stop_at_the_cap() -> None:
    library = Library(cap=50)
    library.seed([1] * 237)
    found = await collect(library, PageNumbers(), page_length=10)
    assert len(found) == 50


async def test_newest_first() -> None:
    library = Library(cap=30)
    everything = library.seed([3, 1, 4, 1, 5, 9, 2, 6] * 5)

    found = await collect(library, CreatedWindows(), page_length=4, sort="created:dsc")

    assert sorted(ids(found)) == sorted(everything)
    assert_in_order(found, descending=True)


async def test_ties_at_window_edges_are_neither_lost_nor_repeated() -> None:
    library = Library(cap=40)
    everything = library.seed([7] * 30 + [13, 1, 25, 2])

    found = await collect(library, CreatedWindows(), page_length=5)

    assert ids(found) == everything  # ids grow within an instant, like the sort
    assert_in_order(found)


async def test_a_group_larger_than_the_longest_page_is_paged_within_its_instant() -> (
    None
):
    library = Library(cap=1000, max_page_length=20)
    everything = library.seed([3, 45, 2, 45])

    found = await collect(library, CreatedWindows(max_page_length=20), page_length=5)

    assert ids(found) == everything
    exact = [r for r in library.requests if r["q"] and "TO *" not in r["q"]]
    assert exact, "the exact-instant query was used"


async def test_a_group_larger_than_the_cap_is_an_error_not_a_silent_gap() -> None:
    library = Library(cap=50, max_page_length=20)
    library.seed([2, 60, 1])

    with pytest.raises(ListingError, match="60 items share created"):
        await collect(library, CreatedWindows(max_page_length=20), page_length=5)


async def test_a_cap_smaller_than_the_page_is_not_taken_for_the_end() -> None:
    library = Library(cap=8)
    everything = library.seed([1] * 20 + [3] * 4)

    found = await collect(library, CreatedWindows(), page_length=50)

    assert ids(found) == everything


async def test_deleting_items_of_a_large_group_while_paging_it() -> None:
    library = Library(cap=1000, max_page_length=10)
    everything = library.seed([1, 57, 1])
    group = everything[1:58]
    deleted: set[str] = set()

    def delete_seen_ones(request: int) -> None:
        # Before every later request delete three items of the group that were
        # already yielded: the rest shift forward under the page boundaries.
        if request > 3:
            for victim in [i for i in group if i in seen and i not in deleted][:3]:
                del library.items[victim]
                deleted.add(victim)

    seen: set[str] = set()
    library.before_answer = delete_seen_ones
    items = CreatedWindows(max_page_length=10).iterate(
        library, q=None, sort=None, page_length=5
    )
    async for item in items:
        assert item["id"] not in seen
        seen.add(item["id"])
        assert len(seen) <= len(everything)

    assert deleted
    assert seen == set(everything)


async def test_a_page_that_ignores_the_window_is_refused() -> None:
    library = Library()
    library.seed([1] * 5)

    async def ignores_q(
        *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        return await library(page=page, page_length=page_length, q=None, sort=sort)

    ignores_q.path = library.path  # type: ignore[attr-defined]
    items = CreatedWindows().iterate(
        ignores_q,  # type: ignore[arg-type]
        q=None,
        sort=None,
        page_length=2,
    )
    with pytest.raises(InvalidResponseError, match="ignored its created window"):
        async for _ in items:
            pass


@pytest.mark.parametrize(
    "item",
    [{"created": stamp(0)}, {"id": "a"}, {"id": "a", "created": "yesterday"}],
)
async def test_items_without_id_or_time_are_refused(item: dict[str, Any]) -> None:
    async def one(
        *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        return Page(items=[item], page=1, page_length=page_length, total=1)

    one.path = "/v2/sites/Abc12345/media/"  # type: ignore[attr-defined]
    with pytest.raises(InvalidResponseError):
        async for _ in CreatedWindows().iterate(
            one,  # type: ignore[arg-type]
            q=None,
            sort=None,
            page_length=5,
        ):
            pass


async def test_empty_library() -> None:
    library = Library()
    assert await collect(library, CreatedWindows(), page_length=5) == []
    assert len(library.requests) == 1


@pytest.mark.parametrize(
    "sort", ["title:asc", "created", "id:asc", "created:asc,title"]
)
def test_orders_other_than_creation_are_refused(sort: str) -> None:
    with pytest.raises(ValueError, match="PageNumbers"):
        CreatedWindows().iterate(Library(), q=None, sort=sort, page_length=5)


@pytest.mark.parametrize(
    "sort", [None, "created:asc", "created:asc,id:asc", "created:dsc"]
)
def test_orders_by_creation_are_accepted(sort: str | None) -> None:
    CreatedWindows().iterate(Library(), q=None, sort=sort, page_length=5)


def test_window_syntax_is_overridable() -> None:
    class Lucene(CreatedWindows):
        def window(self, low: str | None, high: str | None) -> str:
            return f"created:[{low or '*'} TO {high or '*'}}}"

    assert Lucene().window("a", None) == "created:[a TO *}"
    with pytest.raises(ValueError, match="max_page_length"):
        CreatedWindows(max_page_length=0)


# -- PageNumbers ------------------------------------------------------------------


async def test_page_numbers_stop_on_a_short_last_page() -> None:
    library = Library()
    everything = library.seed([1] * 23)
    found = await collect(
        library, PageNumbers(), page_length=10, sort="created:asc,id:asc"
    )
    assert ids(found) == everything
    assert [r["page"] for r in library.requests] == [1, 2, 3]


async def test_page_numbers_stop_when_the_total_is_reached() -> None:
    library = Library()
    library.seed([1] * 20)
    await collect(library, PageNumbers(), page_length=10)
    assert [r["page"] for r in library.requests] == [1, 2]


async def test_page_numbers_skip_repeats_and_stop_if_the_page_is_ignored() -> None:
    library = Library()
    library.seed([1] * 30)

    async def always_first(
        *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        return await library(page=1, page_length=page_length, q=q, sort=sort)

    always_first.path = library.path  # type: ignore[attr-defined]
    found = [
        item
        async for item in PageNumbers().iterate(
            always_first,  # type: ignore[arg-type]
            q=None,
            sort=None,
            page_length=10,
        )
    ]
    assert len(found) == 10
    assert len(library.requests) == 2


# -- the property: any library, any changes while paging ---------------------------

_change = st.tuples(
    st.integers(min_value=1, max_value=40),  # before which request
    st.sampled_from(["delete", "add_new", "add_old"]),
    st.integers(min_value=0, max_value=10**6),  # which item / which instant
)


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.integers(min_value=1, max_value=12), max_size=40),
    page_length=st.integers(min_value=1, max_value=15),
    max_page_length=st.integers(min_value=1, max_value=40),
    descending=st.booleans(),
    changes=st.lists(_change, max_size=25),
    cap_slack=st.integers(min_value=0, max_value=20),
)
async def test_every_item_that_stays_is_yielded_once_in_order(
    groups: list[int],
    page_length: int,
    max_page_length: int,
    descending: bool,
    changes: list[tuple[int, str, int]],
    cap_slack: int,
) -> None:
    """No repeats, no skips of items that stayed, creation order throughout.

    Items are deleted, created (later than everything, as JW stamps them) and
    backdated into the past between requests. Backdating is left out when an
    instant may hold more items than the longest page: paging within such an
    instant tolerates deletions but not an insertion into the same instant
    (a documented limitation; JW does not backdate ``created``).
    """
    backdated = sum(kind == "add_old" for _, kind, _ in changes)
    largest = max(groups, default=1)
    if max_page_length < largest + backdated:
        changes = [c for c in changes if c[1] != "add_old"]
        backdated = 0
    # The cap may be smaller than a page, but no instant outgrows it.
    cap = largest + backdated + cap_slack
    library = Library(cap=cap, max_page_length=max(page_length, max_page_length))
    original = library.seed(groups)
    instants = max(len(groups), 1)
    deleted: set[str] = set()
    created_later = 0

    def apply(request: int) -> None:
        nonlocal created_later
        for when, kind, n in changes:
            if when != request:
                continue
            if kind == "delete" and library.items:
                victim = sorted(library.items)[n % len(library.items)]
                del library.items[victim]
                deleted.add(victim)
            elif kind == "add_new":
                created_later += 1
                library.add(stamp(instants + created_later))
            elif kind == "add_old":
                library.add(stamp(n % instants))

    library.before_answer = apply
    found = await collect(
        library,
        CreatedWindows(max_page_length=max_page_length),
        page_length=page_length,
        sort="created:dsc" if descending else None,
        limit=len(original) + len(changes),
    )

    yielded = ids(found)
    assert len(yielded) == len(set(yielded)), "an item was yielded twice"
    stayed = set(original) - deleted
    assert stayed <= set(yielded), "an item that existed throughout was skipped"
    # An item backdated to the instant being read comes after its elders there.
    assert_in_order(found, descending=descending, by_id=not backdated)
