"""Live channels and their events (jw-api.md §3.5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._pagination import Page
from ._base import DEFAULT_ITERATE_PAGE_LENGTH, JSON, Body, Resource, SiteCollection
from ._listing import ListingStrategy

__all__ = ["ChannelEvents", "Channels"]


class Channels(SiteCollection):
    """A site's live channels: ``/v2/sites/{site_id}/channels/``."""

    accessor = "channels"

    async def get(self, site_id: str, channel_id: str) -> JSON:
        """Return one channel, with its ``status`` and ``recent_events``."""
        ids = {"site_id": site_id, "channel_id": channel_id}
        return await self._object("get", ids)

    async def update(self, site_id: str, channel_id: str, body: Body) -> JSON:
        """PATCH a channel."""
        ids = {"site_id": site_id, "channel_id": channel_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, channel_id: str) -> None:
        """Delete a channel."""
        ids = {"site_id": site_id, "channel_id": channel_id}
        await self._delete("delete", ids)


class ChannelEvents(Resource):
    """A channel's broadcasts: ``…/channels/{channel_id}/events/``."""

    accessor = "channel_events"

    async def list(
        self,
        site_id: str,
        channel_id: str,
        *,
        page: int = 1,
        page_length: int = 10,
        q: str | None = None,
        sort: str | None = None,
    ) -> Page:
        """Return one page of the channel's events.

        Args:
            site_id: The site (property) id.
            channel_id: The channel.
            page: The 1-based page number.
            page_length: Items per page.
            q: A filter expression.
            sort: ``field:asc`` or ``field:dsc``, comma-separated.
        """
        ids = {"site_id": site_id, "channel_id": channel_id}
        return await self._list(ids, page=page, page_length=page_length, q=q, sort=sort)

    def iterate(
        self,
        site_id: str,
        channel_id: str,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = DEFAULT_ITERATE_PAGE_LENGTH,
        strategy: ListingStrategy | None = None,
    ) -> AsyncIterator[JSON]:
        """Yield every event of the channel once."""
        ids = {"site_id": site_id, "channel_id": channel_id}
        return self._iterate(
            ids, q=q, sort=sort, page_length=page_length, strategy=strategy
        )

    async def get(self, site_id: str, channel_id: str, event_id: str) -> JSON:
        """Return one event, with its ``media_id`` and ``master_access``."""
        ids = {"site_id": site_id, "channel_id": channel_id, "event_id": event_id}
        return await self._object("get", ids)

    async def request_master(
        self, site_id: str, channel_id: str, event_id: str
    ) -> JSON | None:
        """Ask for the event's master recording to be made downloadable."""
        ids = {"site_id": site_id, "channel_id": channel_id, "event_id": event_id}
        return await self._action("request_master", ids)

    async def clip(
        self,
        site_id: str,
        channel_id: str,
        event_id: str,
        body: Body | None = None,
    ) -> JSON | None:
        """Create a VOD asset from the event, optionally trimmed by ``body``.

        Not retried after an ambiguous failure, since a repeat could create a
        second asset. (jwplatform-py drops ``body``; this sends it.)
        """
        ids = {"site_id": site_id, "channel_id": channel_id, "event_id": event_id}
        return await self._action("clip", ids, body)
