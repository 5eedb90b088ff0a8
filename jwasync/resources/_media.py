"""Media and what hangs off it: renditions, originals, text tracks, thumbnails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from .._pagination import Page
from .._uploads import MediaUploads
from ._base import DEFAULT_ITERATE_PAGE_LENGTH, JSON, Body, Resource, SiteCollection
from ._listing import CreatedWindows, ListingStrategy

__all__ = ["Media", "MediaRenditions", "Originals", "TextTracks", "Thumbnails"]


class Media(MediaUploads, SiteCollection):
    """The media library of a site: ``/v2/sites/{site_id}/media/``.

    Every method checks its ids before sending anything (``InvalidIdError``) and
    raises the session layer's errors (``APIError`` and subclasses,
    ``TransportError``) for a failed call. ``create`` takes
    ``{"metadata": {...}, "upload": {...}}`` and answers with the new media plus,
    by upload method, an ``upload_link`` or an ``upload_id`` and ``upload_token``.
    """

    accessor = "media"
    default_strategy: ClassVar[ListingStrategy] = CreatedWindows()

    def iterate(
        self,
        site_id: str,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = DEFAULT_ITERATE_PAGE_LENGTH,
        strategy: ListingStrategy | None = None,
    ) -> AsyncIterator[JSON]:
        """Yield every media item of the site once, oldest first.

        Unlike numbered pages this goes past the API's 10,000-results-per-query
        cap and copes with media added or deleted meanwhile: see
        :class:`~jwasync.resources.CreatedWindows`.

        Args:
            site_id: The site (property) id.
            q: A filter expression, combined with the time window by `` AND ``.
            sort: None or ``"created:asc"`` (oldest first), or ``"created:dsc"``;
                for any other order pass ``strategy=PageNumbers()``.
            page_length: Items per request.
            strategy: How to walk the library (default
                :class:`~jwasync.resources.CreatedWindows`).

        Raises:
            ValueError: ``sort`` does not suit the strategy.
        """
        return self._iterate(
            {"site_id": site_id},
            q=q,
            sort=sort,
            page_length=page_length,
            strategy=strategy,
        )

    async def get(self, site_id: str, media_id: str) -> JSON:
        """Return one media item."""
        return await self._object("get", {"site_id": site_id, "media_id": media_id})

    async def update(self, site_id: str, media_id: str, body: Body) -> JSON:
        """PATCH a media item, e.g. ``{"metadata": {"tags": ["a"]}}``."""
        ids = {"site_id": site_id, "media_id": media_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, media_id: str) -> None:
        """Delete a media item."""
        await self._delete("delete", {"site_id": site_id, "media_id": media_id})

    async def reupload(self, site_id: str, media_id: str, body: Body) -> JSON:
        """Replace a media item's source: ``PUT …/media/{media_id}/reupload/``.

        ``body`` is ``{"upload": {...}}`` as for :meth:`create`; the answer carries
        the same upload fields. Not retried after an ambiguous failure.
        """
        ids = {"site_id": site_id, "media_id": media_id}
        return await self._object("reupload", ids, body)


class _MediaChildren(Resource):
    """A collection under one media item: ``…/media/{media_id}/<collection>/``."""

    async def list(
        self,
        site_id: str,
        media_id: str,
        *,
        page: int = 1,
        page_length: int = 10,
        q: str | None = None,
        sort: str | None = None,
    ) -> Page:
        """Return one page of the media item's collection.

        Args:
            site_id: The site (property) id.
            media_id: The media item.
            page: The 1-based page number.
            page_length: Items per page.
            q: A filter expression.
            sort: ``field:asc`` or ``field:dsc``, comma-separated.
        """
        ids = {"site_id": site_id, "media_id": media_id}
        return await self._list(ids, page=page, page_length=page_length, q=q, sort=sort)

    def iterate(
        self,
        site_id: str,
        media_id: str,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = DEFAULT_ITERATE_PAGE_LENGTH,
        strategy: ListingStrategy | None = None,
    ) -> AsyncIterator[JSON]:
        """Yield every item of the media item's collection once."""
        ids = {"site_id": site_id, "media_id": media_id}
        return self._iterate(
            ids, q=q, sort=sort, page_length=page_length, strategy=strategy
        )

    async def create(self, site_id: str, media_id: str, body: Body) -> JSON:
        """Add an item to the media item's collection and return it."""
        ids = {"site_id": site_id, "media_id": media_id}
        return await self._object("create", ids, body)


class MediaRenditions(_MediaChildren):
    """A media item's renditions: ``…/media/{media_id}/media_renditions/``."""

    accessor = "media_renditions"

    async def get(self, site_id: str, media_id: str, rendition_id: str) -> JSON:
        """Return one rendition."""
        ids = {"site_id": site_id, "media_id": media_id, "rendition_id": rendition_id}
        return await self._object("get", ids)

    async def delete(self, site_id: str, media_id: str, rendition_id: str) -> None:
        """Delete a rendition."""
        ids = {"site_id": site_id, "media_id": media_id, "rendition_id": rendition_id}
        await self._delete("delete", ids)


class Originals(_MediaChildren):
    """A media item's source files: ``…/media/{media_id}/originals/``."""

    accessor = "originals"

    async def get(self, site_id: str, media_id: str, original_id: str) -> JSON:
        """Return one original."""
        ids = {"site_id": site_id, "media_id": media_id, "original_id": original_id}
        return await self._object("get", ids)

    async def update(
        self, site_id: str, media_id: str, original_id: str, body: Body
    ) -> JSON:
        """PATCH an original."""
        ids = {"site_id": site_id, "media_id": media_id, "original_id": original_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, media_id: str, original_id: str) -> None:
        """Delete an original."""
        ids = {"site_id": site_id, "media_id": media_id, "original_id": original_id}
        await self._delete("delete", ids)


class TextTracks(_MediaChildren):
    """A media item's captions and chapters: ``…/media/{media_id}/text_tracks/``."""

    accessor = "text_tracks"

    async def get(self, site_id: str, media_id: str, track_id: str) -> JSON:
        """Return one text track."""
        ids = {"site_id": site_id, "media_id": media_id, "track_id": track_id}
        return await self._object("get", ids)

    async def update(
        self, site_id: str, media_id: str, track_id: str, body: Body
    ) -> JSON:
        """PATCH a text track."""
        ids = {"site_id": site_id, "media_id": media_id, "track_id": track_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, media_id: str, track_id: str) -> None:
        """Delete a text track."""
        ids = {"site_id": site_id, "media_id": media_id, "track_id": track_id}
        await self._delete("delete", ids)

    async def publish(self, site_id: str, media_id: str, track_id: str) -> JSON | None:
        """Publish a text track so players show it."""
        ids = {"site_id": site_id, "media_id": media_id, "track_id": track_id}
        return await self._action("publish", ids)

    async def unpublish(
        self, site_id: str, media_id: str, track_id: str
    ) -> JSON | None:
        """Withdraw a published text track."""
        ids = {"site_id": site_id, "media_id": media_id, "track_id": track_id}
        return await self._action("unpublish", ids)


class Thumbnails(SiteCollection):
    """A site's thumbnails: ``/v2/sites/{site_id}/thumbnails/``.

    List one media item's thumbnails with ``q="media_id: <id>"``; create with
    ``{"upload": {...}, "relationships": {"media": [{"id": ...}]}}``.
    """

    accessor = "thumbnails"

    async def get(self, site_id: str, thumbnail_id: str) -> JSON:
        """Return one thumbnail."""
        ids = {"site_id": site_id, "thumbnail_id": thumbnail_id}
        return await self._object("get", ids)

    async def update(self, site_id: str, thumbnail_id: str, body: Body) -> JSON:
        """PATCH a thumbnail (make it the poster, say)."""
        ids = {"site_id": site_id, "thumbnail_id": thumbnail_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, thumbnail_id: str) -> None:
        """Delete a thumbnail."""
        ids = {"site_id": site_id, "thumbnail_id": thumbnail_id}
        await self._delete("delete", ids)
