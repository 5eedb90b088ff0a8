"""Every v2 route the resources call, in one table.

Each accessor (``media``, ``playlists``, ...) maps its operations to a
:class:`Route`: the HTTP method, the path template, the collection key of a listing,
and whether the call may be repeated after an ambiguous failure. Resource methods
only name an operation and pass ids; they hold no paths, methods or keys of their
own, so this table is what to compare with JW's route reference (``jw-api.md`` §3).

``idempotent`` is None where the method's nature decides (the retry policy's
``idempotent_methods``: GET, PUT, DELETE and PATCH by default, never POST) and a bool
only where the route differs from its method: a ``PUT`` that creates something
(``clip``, ``reupload``) must not be repeated blindly, and a read sent as ``POST``
(an analytics query) may be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, get_args

__all__ = ["PLAYLIST_TYPES", "ROUTES", "PlaylistType", "Route", "route"]


@dataclass(frozen=True, slots=True)
class Route:
    """One operation of one accessor.

    Attributes:
        method: The HTTP method.
        path: The path template; ``{names}`` are ids checked by
            :func:`jwasync._paths.format_path`.
        key: The collection key of a listing (``"media"``); None for the others.
        idempotent: Whether a repeat after an ambiguous failure is harmless; None
            leaves it to the retry policy's view of the method.
    """

    method: str
    path: str
    key: str | None = None
    idempotent: bool | None = None


PlaylistType = Literal[
    "manual_playlist",
    "dynamic_playlist",
    "trending_playlist",
    "article_matching_playlist",
    "search_playlist",
    "recommendations_playlist",
    "watchlist_playlist",
]
"""The playlist types of ``/v2/sites/{site_id}/playlists/{type}/``."""

PLAYLIST_TYPES: Final[frozenset[str]] = frozenset(get_args(PlaylistType))
"""The seven playlist types, for validating a value at run time."""

_SITE = "/v2/sites/{site_id}/"
_MEDIA = _SITE + "media/{media_id}/"
_RENDITIONS = _MEDIA + "media_renditions/"
_ORIGINALS = _MEDIA + "originals/"
_TRACKS = _MEDIA + "text_tracks/"
_TRACK = _TRACKS + "{track_id}/"
_PLAYLISTS = _SITE + "playlists/"
_EVENTS = _SITE + "channels/{channel_id}/events/"
_EVENT = _EVENTS + "{event_id}/"
_ADS = _SITE + "advertising/"


def _crud(collection: str, item: str, key: str) -> dict[str, Route]:
    """The five plain routes of a collection: list, create, get, update, delete."""
    return {
        "list": Route("GET", collection, key=key),
        "create": Route("POST", collection),
        "get": Route("GET", collection + item),
        "update": Route("PATCH", collection + item),
        "delete": Route("DELETE", collection + item),
    }


_TABLE: dict[str, dict[str, Route]] = {
    # -- media and its children (jw-api.md §3.1) -----------------------------------
    "media": {
        **_crud(_SITE + "media/", "{media_id}/", "media"),
        # Each reupload starts a new upload (new link or id); a blind repeat would
        # orphan the first one.
        "reupload": Route("PUT", _MEDIA + "reupload/", idempotent=False),
    },
    "media_renditions": {
        "list": Route("GET", _RENDITIONS, key="media_renditions"),
        "create": Route("POST", _RENDITIONS),
        "get": Route("GET", _RENDITIONS + "{rendition_id}/"),
        "delete": Route("DELETE", _RENDITIONS + "{rendition_id}/"),
    },
    "originals": _crud(_ORIGINALS, "{original_id}/", "originals"),
    "text_tracks": {
        **_crud(_TRACKS, "{track_id}/", "text_tracks"),
        "publish": Route("PUT", _TRACK + "publish/"),
        "unpublish": Route("PUT", _TRACK + "unpublish/"),
    },
    "thumbnails": _crud(_SITE + "thumbnails/", "{thumbnail_id}/", "thumbnails"),
    # -- playlists (§3.3): generic routes for every type, typed ones per type -------
    "playlists": {
        "list": Route("GET", _PLAYLISTS, key="playlists"),
        "get": Route("GET", _PLAYLISTS + "{playlist_id}/"),
        "delete": Route("DELETE", _PLAYLISTS + "{playlist_id}/"),
        "create": Route("POST", _PLAYLISTS + "{playlist_type}/"),
        "get_typed": Route("GET", _PLAYLISTS + "{playlist_id}/{playlist_type}/"),
        "update": Route("PATCH", _PLAYLISTS + "{playlist_id}/{playlist_type}/"),
        "delete_typed": Route("DELETE", _PLAYLISTS + "{playlist_id}/{playlist_type}/"),
    },
    # -- players, protection, DRM (§3.4) ---------------------------------------------
    "players": _crud(_SITE + "players/", "{player_id}/", "players"),
    "media_protection_rules": _crud(
        _SITE + "media_protection_rules/",
        "{protection_rule_id}/",
        "media_protection_rules",
    ),
    "site_protection_rule": {
        "get": Route("GET", _SITE + "site_protection_rule/"),
        "update": Route("PATCH", _SITE + "site_protection_rule/"),
    },
    "drm_policies": _crud(_SITE + "drm_policies/", "{drm_policy_id}/", "drm_policies"),
    # -- live (§3.5) -----------------------------------------------------------------
    "channels": _crud(_SITE + "channels/", "{channel_id}/", "channels"),
    "channel_events": {
        "list": Route("GET", _EVENTS, key="events"),
        "get": Route("GET", _EVENT),
        "request_master": Route("PUT", _EVENT + "request_master/"),
        # A clip creates a VOD asset: repeating it could create two.
        "clip": Route("PUT", _EVENT + "clip/", idempotent=False),
    },
    # -- advertising (§3.6) -----------------------------------------------------------
    "ad_schedules": {
        **_crud(_ADS + "schedules/", "{ad_schedule_id}/", "schedules"),
        "update_schedules_vpb_config": Route(
            "PUT", _ADS + "update_schedules_vpb_config/"
        ),
        "update_schedules_player_bidding_configs": Route(
            "PUT", _ADS + "update_schedules_player_bidding_configs/"
        ),
    },
    "vpb_configs": _crud(_ADS + "vpb_configs/", "{config_id}/", "vpb_configs"),
    "player_bidding_configs": _crud(
        _ADS + "player_bidding_configs/", "{config_id}/", "player_bidding_configs"
    ),
    # -- imports, webhooks, tags, usage, analytics (§3.7) ----------------------------
    "imports": _crud(_SITE + "imports/", "{import_id}/", "imports"),
    "webhooks": _crud("/v2/webhooks/", "{webhook_id}/", "webhooks"),
    "sites": {
        "remove_tag": Route("PUT", _SITE + "remove_tag/"),
        "rename_tag": Route("PUT", _SITE + "rename_tag/"),
        "query_usage": Route("PUT", _SITE + "query_usage/"),
        "query_account_usage": Route("PUT", "/v2/query_usage/"),
    },
    # A query reads; sent as POST only to carry its body.
    "analytics": {
        "query": Route("POST", _SITE + "analytics/queries/", idempotent=True),
    },
}

ROUTES: Final[Mapping[str, Mapping[str, Route]]] = MappingProxyType(
    {name: MappingProxyType(ops) for name, ops in _TABLE.items()}
)
"""accessor → operation → :class:`Route`; ``iterate`` uses the ``list`` route."""


def route(accessor: str, operation: str) -> Route:
    """Return the route of ``accessor.operation`` (``iterate`` reads ``list``)."""
    return ROUTES[accessor]["list" if operation == "iterate" else operation]
