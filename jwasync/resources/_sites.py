"""Imports, webhooks, and the site- and account-wide actions (jw-api.md §3.7)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._pagination import Page
from ._base import DEFAULT_ITERATE_PAGE_LENGTH, JSON, Body, Resource, SiteCollection
from ._listing import ListingStrategy

__all__ = ["Imports", "Sites", "Webhooks"]


class Imports(SiteCollection):
    """A site's MRSS feed imports: ``/v2/sites/{site_id}/imports/``."""

    accessor = "imports"

    async def get(self, site_id: str, import_id: str) -> JSON:
        """Return one import, with ``total_items_ingested`` and ``last_import``."""
        return await self._object("get", {"site_id": site_id, "import_id": import_id})

    async def update(self, site_id: str, import_id: str, body: Body) -> JSON:
        """PATCH an import."""
        ids = {"site_id": site_id, "import_id": import_id}
        return await self._object("update", ids, body)

    async def delete(self, site_id: str, import_id: str) -> None:
        """Delete an import."""
        await self._delete("delete", {"site_id": site_id, "import_id": import_id})


class Webhooks(Resource):
    """The account's webhooks: ``/v2/webhooks/`` (no site id in the path).

    A webhook names the sites it watches in ``metadata.site_ids``. The answer to
    :meth:`create` holds the webhook's signing ``secret``, returned this once.
    """

    accessor = "webhooks"

    async def list(
        self,
        *,
        page: int = 1,
        page_length: int = 10,
        q: str | None = None,
        sort: str | None = None,
    ) -> Page:
        """Return one page of webhooks.

        Args:
            page: The 1-based page number.
            page_length: Items per page.
            q: A filter expression.
            sort: ``field:asc`` or ``field:dsc``, comma-separated.
        """
        return await self._list({}, page=page, page_length=page_length, q=q, sort=sort)

    def iterate(
        self,
        *,
        q: str | None = None,
        sort: str | None = None,
        page_length: int = DEFAULT_ITERATE_PAGE_LENGTH,
        strategy: ListingStrategy | None = None,
    ) -> AsyncIterator[JSON]:
        """Yield every webhook of the account once."""
        return self._iterate(
            {}, q=q, sort=sort, page_length=page_length, strategy=strategy
        )

    async def get(self, webhook_id: str) -> JSON:
        """Return one webhook."""
        return await self._object("get", {"webhook_id": webhook_id})

    async def create(self, body: Body) -> JSON:
        """Create a webhook from ``{"metadata": {"name", "webhook_url", "events",
        "site_ids"}}``; keep the ``secret`` in the answer to verify deliveries.
        """
        return await self._object("create", {}, body)

    async def update(self, webhook_id: str, body: Body) -> JSON:
        """PATCH a webhook."""
        return await self._object("update", {"webhook_id": webhook_id}, body)

    async def delete(self, webhook_id: str) -> None:
        """Delete a webhook."""
        await self._delete("delete", {"webhook_id": webhook_id})


class Sites(Resource):
    """Site-wide bulk actions and usage reports."""

    accessor = "sites"

    async def remove_tag(self, site_id: str, body: Body) -> JSON | None:
        """Remove a tag from every media item of the site: ``{"tag": "old"}``.

        The API works through the library in the background (it answers 202).
        """
        return await self._action("remove_tag", {"site_id": site_id}, body)

    async def rename_tag(self, site_id: str, body: Body) -> JSON | None:
        """Rename a tag on every media item: ``{"old_tag": "a", "new_tag": "b"}``."""
        return await self._action("rename_tag", {"site_id": site_id}, body)

    async def query_usage(self, site_id: str, body: Body) -> JSON:
        """Report the site's usage (``PUT /v2/sites/{site_id}/query_usage/``)."""
        return await self._object("query_usage", {"site_id": site_id}, body)

    async def query_account_usage(self, body: Body) -> JSON:
        """Report the whole account's usage (``PUT /v2/query_usage/``).

        (jwplatform-py's ``query_usage`` for this route fails with AttributeError.)
        """
        return await self._object("query_account_usage", {}, body)
