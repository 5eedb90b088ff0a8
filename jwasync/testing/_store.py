"""The fake's in-memory object store: one generic collection per (site, key, parents).

Objects are plain JSON dicts kept in insertion order. A list request asks a
collection for the objects matching ``q`` in ``sort`` order; the answer is cached
per ``(q, sort)`` until the collection next changes, so paging through 25,000
objects sorts them once, not once per page, and adding or deleting objects while a
client pages is still seen at once.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ._query import apply_sort, canonical_time, matches, parse_query, parse_sort

__all__ = ["Collection", "Scope", "Store", "merge_patch", "new_object"]

JSON = dict[str, Any]

# (site id or "" for account-level routes, collection key, parent ids)
Scope = tuple[str, str, tuple[str, ...]]

_ID_ALPHABET = string.ascii_letters + string.digits


class Collection:
    """Objects of one kind under one site (and parent), in insertion order."""

    def __init__(self) -> None:
        """Create an empty collection."""
        self._items: dict[str, JSON] = {}
        self._views: dict[tuple[str, str], list[JSON]] = {}

    def __len__(self) -> int:
        """Return how many objects are stored."""
        return len(self._items)

    def __iter__(self) -> Iterator[JSON]:
        """Iterate over the stored objects in insertion order."""
        return iter(list(self._items.values()))

    def get(self, item_id: str) -> JSON | None:
        """Return the stored object, or None."""
        return self._items.get(item_id)

    def add(self, item: JSON) -> JSON:
        """Store an object under its ``id``."""
        self._items[item["id"]] = item
        self.changed()
        return item

    def add_many(self, items: list[JSON]) -> None:
        """Store several objects, in order, invalidating cached views once."""
        self._items.update((item["id"], item) for item in items)
        self.changed()

    def remove(self, item_id: str) -> JSON | None:
        """Delete and return an object, or None if it was not there."""
        item = self._items.pop(item_id, None)
        if item is not None:
            self.changed()
        return item

    def changed(self) -> None:
        """Drop cached views; call after mutating a stored object in place."""
        self._views.clear()

    def select(self, query: str, sort: str) -> list[JSON]:
        """Return the objects matching ``query`` in ``sort`` order.

        Args:
            query: A ``q`` expression, or "" for everything.
            sort: A ``sort`` value.

        Returns:
            A list shared with later calls until the collection changes; callers
            must not mutate it.

        Raises:
            QueryError: For an unreadable ``q`` or ``sort``.
        """
        view = self._views.get((query, sort))
        if view is None:
            view = self._build_view(query, sort)
            self._views[(query, sort)] = view
        return view

    def _build_view(self, query: str, sort: str) -> list[JSON]:
        keys = parse_sort(sort)
        if query.strip():
            clauses = parse_query(query)
            view = [item for item in self._items.values() if matches(item, clauses)]
        else:
            view = list(self._items.values())
        apply_sort(view, keys)
        return view


class Store:
    """All collections of the fake, plus id and timestamp generation."""

    def __init__(self, rng: random.Random) -> None:
        """Create an empty store.

        Args:
            rng: Seeded source for object ids.
        """
        self._rng = rng
        self._collections: dict[Scope, Collection] = {}
        self._ids: set[str] = set()
        self._last_stamp = datetime(1970, 1, 1, tzinfo=UTC)

    def collection(self, scope: Scope) -> Collection:
        """Return the collection for ``scope``, creating it empty on first use."""
        found = self._collections.get(scope)
        if found is None:
            found = self._collections[scope] = Collection()
        return found

    def sites(self, key: str) -> list[str]:
        """Return the sites holding a non-empty collection of ``key``, sorted."""
        return sorted(
            {
                site
                for (site, k, _), found in self._collections.items()
                if k == key and found
            }
        )

    def new_id(self) -> str:
        """Return a fresh 8-character alphanumeric id, unique in this store."""
        while True:
            candidate = "".join(self._rng.choices(_ID_ALPHABET, k=8))
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def now(self) -> str:
        """Return the wall-clock time, strictly later than any earlier call."""
        stamp = max(datetime.now(UTC), self._last_stamp + timedelta(microseconds=1))
        self._last_stamp = stamp
        return canonical_time(stamp)


def new_object(
    item_id: str, kind: str, created: str, body: JSON, **fields: Any
) -> JSON:
    """Build a stored object in JW's common shape.

    Args:
        item_id: The new id.
        kind: The singular ``type`` value.
        created: Creation time, canonical ISO-8601.
        body: The create request's body; its ``metadata`` and ``relationships``
            are copied in.
        **fields: Extra top-level fields for this kind of object.

    Returns:
        ``{"id", "type", "created", "last_modified", "metadata", "relationships",
        **fields}``.
    """
    metadata = body.get("metadata")
    relationships = body.get("relationships")
    return {
        "id": item_id,
        "type": kind,
        "created": created,
        "last_modified": created,
        "metadata": dict(metadata) if isinstance(metadata, dict) else {},
        "relationships": dict(relationships) if isinstance(relationships, dict) else {},
        **fields,
    }


def merge_patch(item: JSON, body: JSON, modified: str) -> None:
    """Apply a PATCH: ``metadata`` keys replace one by one, ``relationships`` whole.

    Args:
        item: The stored object, changed in place.
        body: The PATCH request's body.
        modified: The new ``last_modified``.
    """
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        item["metadata"] = {**item.get("metadata", {}), **metadata}
        if "external_id" in metadata and "external_id" in item:
            item["external_id"] = metadata["external_id"]
    relationships = body.get("relationships")
    if isinstance(relationships, dict):
        item["relationships"] = dict(relationships)
    item["last_modified"] = modified
