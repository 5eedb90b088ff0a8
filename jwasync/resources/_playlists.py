"""Playlists of every type: ``/v2/sites/{site_id}/playlists/``."""

from __future__ import annotations

from ._base import JSON, Body, SiteListing
from ._routes import PLAYLIST_TYPES, PlaylistType

__all__ = ["Playlists"]


def _check_type(playlist_type: str) -> str:
    if playlist_type not in PLAYLIST_TYPES:
        known = ", ".join(sorted(PLAYLIST_TYPES))
        raise ValueError(f"unknown playlist type {playlist_type!r}; use one of {known}")
    return playlist_type


class Playlists(SiteListing):
    """A site's playlists, all types in one collection.

    Listing, reading and deleting work for every type; creating and updating
    name the type (``"manual_playlist"``, ``"dynamic_playlist"``, ...; see
    :data:`~jwasync.resources.PlaylistType`), as the API's routes do. An unknown
    type raises ``ValueError`` before anything is sent.
    """

    accessor = "playlists"

    async def get(
        self,
        site_id: str,
        playlist_id: str,
        *,
        playlist_type: PlaylistType | None = None,
    ) -> JSON:
        """Return one playlist.

        Args:
            site_id: The site (property) id.
            playlist_id: The playlist.
            playlist_type: Read through the type's own route
                (``…/playlists/{playlist_id}/{type}/``); None uses the generic one.
        """
        ids = {"site_id": site_id, "playlist_id": playlist_id}
        if playlist_type is None:
            return await self._object("get", ids)
        ids["playlist_type"] = _check_type(playlist_type)
        return await self._object("get_typed", ids)

    async def create(
        self, site_id: str, playlist_type: PlaylistType, body: Body
    ) -> JSON:
        """Create a playlist of ``playlist_type``: ``POST …/playlists/{type}/``.

        A manual playlist, for example::

            {"metadata": {"title": "Picks", "media_filter": {"include": {
                "match": "any", "values": ["Ny05CEfj"]}}}}
        """
        ids = {"site_id": site_id, "playlist_type": _check_type(playlist_type)}
        return await self._object("create", ids, body)

    async def update(
        self,
        site_id: str,
        playlist_id: str,
        playlist_type: PlaylistType,
        body: Body,
    ) -> JSON:
        """PATCH a playlist through its type's route: ``…/{playlist_id}/{type}/``."""
        ids = {
            "site_id": site_id,
            "playlist_id": playlist_id,
            "playlist_type": _check_type(playlist_type),
        }
        return await self._object("update", ids, body)

    async def delete(
        self,
        site_id: str,
        playlist_id: str,
        *,
        playlist_type: PlaylistType | None = None,
    ) -> None:
        """Delete a playlist, through its type's route if ``playlist_type`` is set."""
        ids = {"site_id": site_id, "playlist_id": playlist_id}
        if playlist_type is None:
            await self._delete("delete", ids)
            return
        ids["playlist_type"] = _check_type(playlist_type)
        await self._delete("delete_typed", ids)
