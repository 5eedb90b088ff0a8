"""Resource accessors, one module per API area, all driven by one route table.

:data:`ROUTES` holds every path, method, collection key and retry-safety flag;
the classes here only give each operation a typed signature.
"""

from ._advertising import AdSchedules, PlayerBiddingConfigs, VpbConfigs
from ._analytics import Analytics, AnalyticsSource, Row
from ._base import JSON, Body, Caller, Resource, SiteCollection, SiteListing
from ._listing import (
    CreatedWindows,
    Fetch,
    ListingError,
    ListingStrategy,
    PageNumbers,
)
from ._live import ChannelEvents, Channels
from ._media import Media, MediaRenditions, Originals, TextTracks, Thumbnails
from ._players import DrmPolicies, MediaProtectionRules, Players, SiteProtectionRule
from ._playlists import Playlists
from ._routes import PLAYLIST_TYPES, ROUTES, PlaylistType, Route
from ._site import SiteBound, SiteView
from ._sites import Imports, Sites, Webhooks

__all__ = [
    "JSON",
    "PLAYLIST_TYPES",
    "ROUTES",
    "AdSchedules",
    "Analytics",
    "AnalyticsSource",
    "Body",
    "Caller",
    "ChannelEvents",
    "Channels",
    "CreatedWindows",
    "DrmPolicies",
    "Fetch",
    "Imports",
    "ListingError",
    "ListingStrategy",
    "Media",
    "MediaProtectionRules",
    "MediaRenditions",
    "Originals",
    "PageNumbers",
    "PlayerBiddingConfigs",
    "Players",
    "PlaylistType",
    "Playlists",
    "Resource",
    "Route",
    "Row",
    "SiteBound",
    "SiteCollection",
    "SiteListing",
    "SiteProtectionRule",
    "SiteView",
    "Sites",
    "TextTracks",
    "Thumbnails",
    "VpbConfigs",
    "Webhooks",
]
