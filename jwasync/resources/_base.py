"""What every resource shares: a way to call the API and to list a collection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from .._pagination import Page, iterate_pages, page_from_json
from .._paths import format_path
from .._session import Params

if TYPE_CHECKING:
    pass

__all__ = ["Caller", "Resource"]


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


class Resource:
    """Base for one API area; subclasses declare paths, not HTTP."""

    def __init__(self, client: Caller) -> None:
        self._client = client

    async def _get(
        self, template: str, params: Params | None = None, **ids: str
    ) -> Any:
        return await self._client._call(
            "GET", format_path(template, **ids), params=params
        )

    async def _send(
        self,
        method: str,
        template: str,
        body: Any = None,
        *,
        idempotent: bool | None = None,
        **ids: str,
    ) -> Any:
        path = format_path(template, **ids)
        return await self._client._call(method, path, json=body, idempotent=idempotent)

    async def _list(
        self,
        template: str,
        key: str,
        *,
        page: int,
        page_length: int,
        q: str | None = None,
        sort: str | None = None,
        **ids: str,
    ) -> Page:
        if page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= page_length <= 10_000:
            raise ValueError("page_length must be between 1 and 10000")
        path = format_path(template, **ids)
        params = {"page": page, "page_length": page_length, "q": q, "sort": sort}
        data = await self._client._call("GET", path, params=params)
        return page_from_json(data, key, page=page, page_length=page_length, path=path)

    async def _iterate(
        self,
        template: str,
        key: str,
        *,
        page_length: int,
        q: str | None = None,
        sort: str | None = None,
        **ids: str,
    ) -> AsyncIterator[dict[str, Any]]:
        async def fetch(number: int) -> Page:
            return await self._list(
                template,
                key,
                page=number,
                page_length=page_length,
                q=q,
                sort=sort,
                **ids,
            )

        async for page in iterate_pages(fetch):
            for item in page.items:
                yield item
