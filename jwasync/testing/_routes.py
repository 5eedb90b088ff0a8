"""The fake's route table: every path of jw-api.md §3 from one declarative list.

Each :class:`Resource` row expands into a collection route, an item route and one
route per item action. A handful of one-off routes (typed playlists, the site
protection singleton, bulk actions, analytics, uploads) are listed after it. Path
parameters are named ``{site}``, ``{parent}``, ``{id}`` and ``{upload}``; when two
routes match a path, the one with more literal segments wins (so
``POST playlists/manual_playlist/`` is a typed create, not an item).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "PLAYLIST_TYPES",
    "RESOURCES",
    "Op",
    "Resource",
    "Route",
    "match",
    "split_path",
]

_LIST_CREATE = frozenset({"GET", "POST"})
_GET_PATCH_DELETE = frozenset({"GET", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Resource:
    """One JW collection and how its routes look.

    Attributes:
        key: The collection key, both the path segment and the list envelope key.
        kind: The singular ``type`` of its objects.
        parent: Key of the parent resource, for children such as text tracks.
        prefix: Path segments between the site and the key (``advertising``).
        account: True for account-level routes without ``/sites/{site}``.
        collection_verbs: Methods on the collection path (GET lists, POST creates).
        item_verbs: Methods on the item path (GET, PATCH updates, DELETE).
        actions: Item-level PUT actions, e.g. ``publish``.
    """

    key: str
    kind: str
    parent: str | None = None
    prefix: tuple[str, ...] = ()
    account: bool = False
    collection_verbs: frozenset[str] = _LIST_CREATE
    item_verbs: frozenset[str] = _GET_PATCH_DELETE
    actions: tuple[str, ...] = ()


RESOURCES: tuple[Resource, ...] = (
    Resource("media", "media", actions=("reupload",)),
    Resource(
        "media_renditions",
        "media_rendition",
        parent="media",
        item_verbs=frozenset({"GET", "DELETE"}),
    ),
    Resource("originals", "original", parent="media"),
    Resource(
        "text_tracks", "text_track", parent="media", actions=("publish", "unpublish")
    ),
    Resource("thumbnails", "thumbnail"),
    Resource(
        "playlists",
        "playlist",
        collection_verbs=frozenset({"GET"}),
        item_verbs=frozenset({"GET", "DELETE"}),
    ),
    Resource("players", "player"),
    Resource("media_protection_rules", "media_protection_rule"),
    Resource("drm_policies", "drm_policy"),
    Resource("channels", "channel"),
    Resource(
        "events",
        "event",
        parent="channels",
        collection_verbs=frozenset({"GET"}),
        item_verbs=frozenset({"GET"}),
        actions=("request_master", "clip"),
    ),
    Resource("schedules", "ad_schedule", prefix=("advertising",)),
    Resource("vpb_configs", "vpb_config", prefix=("advertising",)),
    Resource(
        "player_bidding_configs", "player_bidding_config", prefix=("advertising",)
    ),
    Resource("imports", "import"),
    Resource("webhooks", "webhook", account=True),
)

_BY_KEY = {resource.key: resource for resource in RESOURCES}

PLAYLIST_TYPES: tuple[str, ...] = (
    "manual_playlist",
    "dynamic_playlist",
    "trending_playlist",
    "article_matching_playlist",
    "search_playlist",
    "recommendations_playlist",
    "watchlist_playlist",
)


@dataclass(frozen=True, slots=True)
class Op:
    """What a method on a route does.

    Attributes:
        name: The handler: ``list``, ``create``, ``get``, ``update``, ``delete``,
            ``action`` or one of the one-off names.
        resource: The collection it works on, if any.
        arg: The action name or playlist type, when there is one.
    """

    name: str
    resource: Resource | None = None
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """A path pattern and the operation behind each allowed method."""

    pattern: tuple[str, ...]
    ops: Mapping[str, Op] = field(default_factory=dict)

    @property
    def literals(self) -> int:
        """Count of literal (non-parameter) segments, for picking the best match."""
        return sum(not part.startswith("{") for part in self.pattern)


def _collection_path(resource: Resource) -> tuple[str, ...]:
    if resource.account:
        base: tuple[str, ...] = ()
    elif resource.parent is not None:
        parent = _BY_KEY[resource.parent]
        base = (*_collection_path(parent), "{parent}")
    else:
        base = ("sites", "{site}")
    return (*base, *resource.prefix, resource.key)


def _verb_ops(
    resource: Resource, verbs: frozenset[str], *, item: bool
) -> dict[str, Op]:
    names = (
        {"GET": "get", "PATCH": "update", "DELETE": "delete"}
        if item
        else {"GET": "list", "POST": "create"}
    )
    return {verb: Op(names[verb], resource) for verb in sorted(verbs)}


def _resource_routes(resource: Resource) -> list[Route]:
    collection = _collection_path(resource)
    item = (*collection, "{id}")
    routes = [
        Route(collection, _verb_ops(resource, resource.collection_verbs, item=False)),
        Route(item, _verb_ops(resource, resource.item_verbs, item=True)),
    ]
    routes += [
        Route((*item, action), {"PUT": Op("action", resource, action)})
        for action in resource.actions
    ]
    return routes


def _playlist_routes() -> list[Route]:
    playlists = _BY_KEY["playlists"]
    routes: list[Route] = []
    for kind in PLAYLIST_TYPES:
        routes.append(
            Route(
                ("sites", "{site}", "playlists", kind),
                {"POST": Op("create", playlists, kind)},
            )
        )
        typed = {
            verb: Op(name, playlists, kind)
            for verb, name in (
                ("GET", "get"),
                ("PATCH", "update"),
                ("DELETE", "delete"),
            )
        }
        routes.append(Route(("sites", "{site}", "playlists", "{id}", kind), typed))
    return routes


def _site(*parts: str) -> tuple[str, ...]:
    return ("sites", "{site}", *parts)


_ONE_OFF: tuple[Route, ...] = (
    Route(
        _site("site_protection_rule"),
        {"GET": Op("singleton_get"), "PATCH": Op("singleton_update")},
    ),
    Route(
        _site("advertising", "update_schedules_vpb_config"),
        {"PUT": Op("bulk_attach", arg="vpb_config")},
    ),
    Route(
        _site("advertising", "update_schedules_player_bidding_configs"),
        {"PUT": Op("bulk_attach", arg="player_bidding_config")},
    ),
    Route(_site("remove_tag"), {"PUT": Op("remove_tag")}),
    Route(_site("rename_tag"), {"PUT": Op("rename_tag")}),
    Route(_site("query_usage"), {"PUT": Op("query_usage")}),
    Route(("query_usage",), {"PUT": Op("query_usage")}),
    Route(_site("analytics", "queries"), {"POST": Op("analytics")}),
    Route(("uploads", "{upload}", "parts"), {"GET": Op("upload_parts")}),
    Route(("uploads", "{upload}", "complete"), {"PUT": Op("upload_complete")}),
)


def _all_routes() -> dict[int, list[Route]]:
    routes = [r for resource in RESOURCES for r in _resource_routes(resource)]
    routes += _playlist_routes()
    routes += _ONE_OFF
    by_length: dict[int, list[Route]] = {}
    for route in routes:
        by_length.setdefault(len(route.pattern), []).append(route)
    return by_length


_ROUTES = _all_routes()


def split_path(path: str) -> list[str] | None:
    """Split a request path into segments after ``/v2/``.

    Args:
        path: The decoded request path.

    Returns:
        The segments, with one trailing slash ignored, or None when the path is
        not under ``/v2/`` or has an empty segment.
    """
    if not path.startswith("/v2/"):
        return None
    rest = path[len("/v2/") :]
    rest = rest.removesuffix("/")
    segments = rest.split("/")
    if any(not segment for segment in segments):
        return None
    return segments


def _bind(pattern: Sequence[str], segments: Sequence[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for part, segment in zip(pattern, segments, strict=True):
        if part.startswith("{"):
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


def match(segments: Sequence[str]) -> tuple[Route, dict[str, str]] | None:
    """Find the most specific route for a path.

    Args:
        segments: Output of :func:`split_path`.

    Returns:
        The route and its bound parameters, or None when nothing matches.
    """
    best: tuple[Route, dict[str, str]] | None = None
    for route in _ROUTES.get(len(segments), ()):
        params = _bind(route.pattern, segments)
        if params is not None and (best is None or route.literals > best[0].literals):
            best = (route, params)
    return best
