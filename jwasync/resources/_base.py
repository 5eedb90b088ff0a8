"""What every resource shares: calling a route of the table, listing a collection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Protocol

from .._errors import InvalidResponseError
from .._pagination import Page, page_from_json
from .._paths import format_path
from .._session import Params
from ._listing import ListingStrategy, PageNumbers
from ._routes import route

__all__ = ["JSON", "Body", "Caller", "Resource", "SiteCollection", "SiteListing"]

JSON = dict[str, Any]
"""A decoded JSON object, as the API sends it."""

Body = Mapping[str, Any]
"""A request body: any mapping that encodes to a JSON object."""

DEFAULT_ITERATE_PAGE_LENGTH = 500


class Caller(Protocol):
    """The one method a resource needs from the client."""

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        token: str | None = None,
    ) -> Any: ...


class _Lister:
    """One collection listing, as a :class:`~jwasync.resources.Fetch`."""

    __slots__ = ("key", "path", "resource")

    def __init__(self, resource: Resource, path: str, key: str) -> None:
        self.resource = resource
        self.path = path
        self.key = key

    async def __call__(
        self, *, page: int, page_length: int, q: str | None, sort: str | None
    ) -> Page:
        if page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= page_length <= 10_000:
            raise ValueError("page_length must be between 1 and 10000")
        params = {"page": page, "page_length": page_length, "q": q, "sort": sort}
        data = await self.resource._client._call("GET", self.path, params=params)
        return page_from_json(
            data, self.key, page=page, page_length=page_length, path=self.path
        )


class Resource:
    """Base for one accessor; a subclass names its operations, the table the rest.

    Attributes:
        accessor: The accessor's name in :data:`jwasync.resources.ROUTES`.
        default_strategy: How ``iterate`` walks the collection unless told.
    """

    accessor: ClassVar[str]
    default_strategy: ClassVar[ListingStrategy] = PageNumbers()

    def __init__(self, client: Caller) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} accessor>"

    async def _send(
        self,
        operation: str,
        ids: Mapping[str, str],
        body: Body | None = None,
        *,
        params: Params | None = None,
    ) -> Any:
        found = route(self.accessor, operation)
        path = format_path(found.path, **ids)
        return await self._client._call(
            found.method,
            path,
            params=params,
            json=None if body is None else dict(body),
            idempotent=found.idempotent,
        )

    async def _object(
        self,
        operation: str,
        ids: Mapping[str, str],
        body: Body | None = None,
        *,
        params: Params | None = None,
    ) -> JSON:
        """Call a route that answers with one object, and return it."""
        data = await self._send(operation, ids, body, params=params)
        if not isinstance(data, dict):
            found = route(self.accessor, operation)
            path = format_path(found.path, **ids)
            raise InvalidResponseError(
                f"{found.method} {path}: expected a JSON object, got "
                f"{type(data).__name__}",
                status=200,
                method=found.method,
                path=path,
            )
        return data

    async def _action(
        self, operation: str, ids: Mapping[str, str], body: Body | None = None
    ) -> JSON | None:
        """Call an action route; None when it answers with no body (a 202, say)."""
        data = await self._send(operation, ids, body)
        return data if isinstance(data, dict) else None

    async def _delete(self, operation: str, ids: Mapping[str, str]) -> None:
        await self._send(operation, ids)

    def _lister(self, ids: Mapping[str, str]) -> _Lister:
        found = route(self.accessor, "list")
        if found.key is None:  # pragma: no cover - the table gives every list a key
            raise TypeError(f"{self.accessor}.list has no collection key")
        return _Lister(self, format_path(found.path, **ids), found.key)

    async def _list(
        self,
        ids: Mapping[str, str],
        *,
        page: int,
        page_length: int,
        q: str | None,
        sort: str | None,
    ) -> Page:
        lister = self._lister(ids)
        return await lister(page=page, page_length=page_length, q=q, sort=sort)

    def _iterate(
        self,
        ids: Mapping[str, str],
        *,
        q: str | None,
        sort: str | None,
        page_length: int,
        strategy: ListingStrategy | None,
    ) -> AsyncIterator[JSON]:
        # Not a generator itself, so bad ids and arguments raise at the call.
        if not 1 <= page_length <= 10_000:
            raise ValueError("page_length must be between 1 and 10000")
        lister = self._lister(ids)
        walk = strategy or self.default_strategy
        return walk.iterate(lister, q=q, sort=sort, page_length=page_length)


class SiteListing(Resource):
    """A collection directly under a site: ``/v2/sites/{site_id}/<collection>/``.

    Subclasses add ``get``, ``update`` and ``delete`` with their own id's name.
    """

    async def list(
        self,
        site_id: str,
        *,
        page: int = 1,
        page_length: int = 10,
        q: str | None = None,
        sort: str | None = None,
    ) -> Page:
        """Return one page of the collection.

        Args:
            site_id: The site (property) id.
            page: The 1-based page number.
            page_length: Items per page.
            q: A filter expression such as ``'title: "news"'``.
            sort: ``field:asc`` or ``field:dsc``, comma-separated; the API's
                default is ``created:dsc``.

        Raises:
            InvalidIdError: ``site_id`` is not a valid id.
            ValueError: ``page`` or ``page_length`` is out of range.
        """
        return await self._list(
            {"site_id": site_id}, page=page, page_length=page_length, q=q, sort=sort
        )

    def iterate(
        self,
        site_id: str,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = DEFAULT_ITERATE_PAGE_LENGTH,
        strategy: ListingStrategy | None = None,
    ) -> AsyncIterator[JSON]:
        """Yield every item of the collection once.

        Args:
            site_id: The site (property) id.
            q: A filter expression.
            sort: The order to list in.
            page_length: Items per request.
            strategy: How to walk the collection (default
                :class:`~jwasync.resources.PageNumbers`).
        """
        return self._iterate(
            {"site_id": site_id},
            q=q,
            sort=sort,
            page_length=page_length,
            strategy=strategy,
        )


class SiteCollection(SiteListing):
    """A site collection whose items are created by ``POST`` to the collection."""

    async def create(self, site_id: str, body: Body) -> JSON:
        """Create an item from ``{"metadata": {...}, ...}`` and return it.

        Not retried after an ambiguous failure: a repeat could create two.
        """
        return await self._object("create", {"site_id": site_id}, body)
