"""Media: ``/v2/sites/{site_id}/media/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .._pagination import Page
from ._base import Resource

__all__ = ["Media"]

_COLLECTION = "/v2/sites/{site_id}/media/"
_ITEM = "/v2/sites/{site_id}/media/{media_id}/"


class Media(Resource):
    """The media library of a site."""

    async def list(
        self,
        site_id: str,
        *,
        page: int = 1,
        page_length: int = 10,
        q: str | None = None,
        sort: str | None = None,
    ) -> Page:
        """Return one page of media.

        Args:
            site_id: The site (property) id.
            page: The 1-based page number.
            page_length: Items per page.
            q: A filter expression, e.g. ``'tags: "sports"'``.
            sort: ``field:asc`` or ``field:dsc``; the API defaults to ``created:dsc``.
        """
        return await self._list(
            _COLLECTION,
            "media",
            page=page,
            page_length=page_length,
            q=q,
            sort=sort,
            site_id=site_id,
        )

    def iterate(
        self,
        site_id: str,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = 500,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every media item of the site, page after page."""
        return self._iterate(
            _COLLECTION,
            "media",
            page_length=page_length,
            q=q,
            sort=sort,
            site_id=site_id,
        )

    async def get(self, site_id: str, media_id: str) -> dict[str, Any]:
        """Return one media item."""
        result: dict[str, Any] = await self._get(
            _ITEM, site_id=site_id, media_id=media_id
        )
        return result

    async def create(self, site_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a media item from ``{"metadata": {...}, "upload": {...}}``."""
        result: dict[str, Any] = await self._send(
            "POST", _COLLECTION, body, site_id=site_id
        )
        return result

    async def update(
        self, site_id: str, media_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PATCH a media item, e.g. ``{"metadata": {"tags": ["a"]}}``."""
        result: dict[str, Any] = await self._send(
            "PATCH", _ITEM, body, site_id=site_id, media_id=media_id
        )
        return result

    async def delete(self, site_id: str, media_id: str) -> None:
        """Delete a media item."""
        await self._send("DELETE", _ITEM, site_id=site_id, media_id=media_id)
