"""Every accessor method sends the right method to the right path (jw-api.md §3).

The expected paths below are written out by hand from the API reference, not
derived from ``jwasync.resources.ROUTES``, so a wrong row in the table fails here.
A recording stand-in for the client captures each call; nothing touches a socket.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from jwasync import InvalidIdError, JWPlatformClient
from jwasync._session import check_path
from jwasync.resources import (
    PLAYLIST_TYPES,
    ROUTES,
    CreatedWindows,
    PageNumbers,
    Resource,
    SiteView,
)

S, M, X, Y = "Abc12345", "Ny05CEfj", "Xy12Ab34", "Yz98Cd76"
BODY = {"metadata": {"title": "t"}}


@dataclass
class Sent:
    method: str
    path: str
    params: dict[str, Any] | None
    json: Any
    idempotent: bool | None


@dataclass
class Recorder:
    """Stands in for the client: records calls, answers with a plausible body."""

    calls: list[Sent] = field(default_factory=list)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool | None = None,
        token: str | None = None,
    ) -> Any:
        check_path(path)  # what the session layer would refuse
        # The session layer leaves out None parameters; so does the record.
        sent = {k: v for k, v in (params or {}).items() if v is not None}
        self.calls.append(Sent(method, path, sent or None, json, idempotent))
        if path.endswith("/analytics/queries/"):
            return {"data": {"rows": []}, "page": (json or {}).get("page", 0)}
        if method == "GET" and params and "page" in params:
            key = _LIST_KEYS[path.rstrip("/").rsplit("/", 1)[-1]]
            return {key: [], "page": 1, "page_length": 10, "total": 0}
        return {"id": "answer"}


# Collection path segment → the key its listing comes under.
_LIST_KEYS = {
    "media": "media",
    "media_renditions": "media_renditions",
    "originals": "originals",
    "text_tracks": "text_tracks",
    "thumbnails": "thumbnails",
    "playlists": "playlists",
    "players": "players",
    "media_protection_rules": "media_protection_rules",
    "drm_policies": "drm_policies",
    "channels": "channels",
    "events": "events",
    "schedules": "schedules",
    "vpb_configs": "vpb_configs",
    "player_bidding_configs": "player_bidding_configs",
    "imports": "imports",
    "webhooks": "webhooks",
}


@dataclass(frozen=True)
class Case:
    accessor: str
    name: str
    args: tuple[Any, ...]
    method: str
    path: str
    idempotent: bool | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    body: Any = None

    @property
    def id(self) -> str:
        suffix = "[typed]" if self.kwargs.get("playlist_type") else ""
        return f"{self.accessor}.{self.name}{suffix}"


def _site_crud(accessor: str, segment: str, item: str = X) -> list[Case]:
    base = f"/v2/sites/{S}/{segment}/"
    return [
        Case(accessor, "list", (S,), "GET", base),
        Case(accessor, "iterate", (S,), "GET", base),
        Case(accessor, "create", (S, BODY), "POST", base, body=BODY),
        Case(accessor, "get", (S, item), "GET", f"{base}{item}/"),
        Case(accessor, "update", (S, item, BODY), "PATCH", f"{base}{item}/", body=BODY),
        Case(accessor, "delete", (S, item), "DELETE", f"{base}{item}/"),
    ]


def _media_child(accessor: str, *, update: bool = True) -> list[Case]:
    base = f"/v2/sites/{S}/media/{M}/{accessor}/"
    cases = [
        Case(accessor, "list", (S, M), "GET", base),
        Case(accessor, "iterate", (S, M), "GET", base),
        Case(accessor, "create", (S, M, BODY), "POST", base, body=BODY),
        Case(accessor, "get", (S, M, X), "GET", f"{base}{X}/"),
        Case(accessor, "delete", (S, M, X), "DELETE", f"{base}{X}/"),
    ]
    if update:
        cases.append(
            Case(accessor, "update", (S, M, X, BODY), "PATCH", f"{base}{X}/", body=BODY)
        )
    return cases


_P = f"/v2/sites/{S}/playlists/"
_E = f"/v2/sites/{S}/channels/{Y}/events/{X}/"
_ADS = f"/v2/sites/{S}/advertising/"
_Q = {"relative_timeframe": "7 Days", "dimensions": ["media_id"]}

CASES: list[Case] = [
    # §3.1 media and children
    *_site_crud("media", "media", M),
    Case(
        "media",
        "reupload",
        (S, M, {"upload": {"method": "direct"}}),
        "PUT",
        f"/v2/sites/{S}/media/{M}/reupload/",
        idempotent=False,
        body={"upload": {"method": "direct"}},
    ),
    *_media_child("media_renditions", update=False),
    *_media_child("originals"),
    *_media_child("text_tracks"),
    Case(
        "text_tracks",
        "publish",
        (S, M, X),
        "PUT",
        f"/v2/sites/{S}/media/{M}/text_tracks/{X}/publish/",
    ),
    Case(
        "text_tracks",
        "unpublish",
        (S, M, X),
        "PUT",
        f"/v2/sites/{S}/media/{M}/text_tracks/{X}/unpublish/",
    ),
    *_site_crud("thumbnails", "thumbnails"),
    # §3.3 playlists: generic list/get/delete, typed create/update (and get/delete)
    Case("playlists", "list", (S,), "GET", _P),
    Case("playlists", "iterate", (S,), "GET", _P),
    Case("playlists", "get", (S, X), "GET", f"{_P}{X}/"),
    Case("playlists", "delete", (S, X), "DELETE", f"{_P}{X}/"),
    Case(
        "playlists",
        "create",
        (S, "manual_playlist", BODY),
        "POST",
        f"{_P}manual_playlist/",
        body=BODY,
    ),
    Case(
        "playlists",
        "update",
        (S, X, "dynamic_playlist", BODY),
        "PATCH",
        f"{_P}{X}/dynamic_playlist/",
        body=BODY,
    ),
    Case(
        "playlists",
        "get",
        (S, X),
        "GET",
        f"{_P}{X}/watchlist_playlist/",
        kwargs={"playlist_type": "watchlist_playlist"},
    ),
    Case(
        "playlists",
        "delete",
        (S, X),
        "DELETE",
        f"{_P}{X}/search_playlist/",
        kwargs={"playlist_type": "search_playlist"},
    ),
    # §3.4 players, protection, DRM
    *_site_crud("players", "players"),
    *_site_crud("media_protection_rules", "media_protection_rules"),
    Case(
        "site_protection_rule",
        "get",
        (S,),
        "GET",
        f"/v2/sites/{S}/site_protection_rule/",
    ),
    Case(
        "site_protection_rule",
        "update",
        (S, BODY),
        "PATCH",
        f"/v2/sites/{S}/site_protection_rule/",
        body=BODY,
    ),
    *_site_crud("drm_policies", "drm_policies"),
    # §3.5 live
    *_site_crud("channels", "channels", Y),
    Case(
        "channel_events", "list", (S, Y), "GET", f"/v2/sites/{S}/channels/{Y}/events/"
    ),
    Case(
        "channel_events",
        "iterate",
        (S, Y),
        "GET",
        f"/v2/sites/{S}/channels/{Y}/events/",
    ),
    Case("channel_events", "get", (S, Y, X), "GET", _E),
    Case("channel_events", "request_master", (S, Y, X), "PUT", f"{_E}request_master/"),
    Case(
        "channel_events",
        "clip",
        (S, Y, X, {"start": 1}),
        "PUT",
        f"{_E}clip/",
        idempotent=False,
        body={"start": 1},
    ),
    # §3.6 advertising
    *_site_crud("ad_schedules", "advertising/schedules"),
    *_site_crud("vpb_configs", "advertising/vpb_configs"),
    *_site_crud("player_bidding_configs", "advertising/player_bidding_configs"),
    Case(
        "ad_schedules",
        "update_schedules_vpb_config",
        (S, {"schedule_ids": [X]}),
        "PUT",
        f"{_ADS}update_schedules_vpb_config/",
        body={"schedule_ids": [X]},
    ),
    Case(
        "ad_schedules",
        "update_schedules_player_bidding_configs",
        (S, {"schedule_ids": [X]}),
        "PUT",
        f"{_ADS}update_schedules_player_bidding_configs/",
        body={"schedule_ids": [X]},
    ),
    # §3.7 imports, webhooks, tags, usage, analytics
    *_site_crud("imports", "imports"),
    Case("webhooks", "list", (), "GET", "/v2/webhooks/"),
    Case("webhooks", "iterate", (), "GET", "/v2/webhooks/"),
    Case("webhooks", "create", (BODY,), "POST", "/v2/webhooks/", body=BODY),
    Case("webhooks", "get", (X,), "GET", f"/v2/webhooks/{X}/"),
    Case("webhooks", "update", (X, BODY), "PATCH", f"/v2/webhooks/{X}/", body=BODY),
    Case("webhooks", "delete", (X,), "DELETE", f"/v2/webhooks/{X}/"),
    Case(
        "sites",
        "remove_tag",
        (S, {"tag": "a"}),
        "PUT",
        f"/v2/sites/{S}/remove_tag/",
        body={"tag": "a"},
    ),
    Case(
        "sites",
        "rename_tag",
        (S, {"old_tag": "a", "new_tag": "b"}),
        "PUT",
        f"/v2/sites/{S}/rename_tag/",
        body={"old_tag": "a", "new_tag": "b"},
    ),
    Case(
        "sites",
        "query_usage",
        (S, {"start_date": "2024-01-01"}),
        "PUT",
        f"/v2/sites/{S}/query_usage/",
        body={"start_date": "2024-01-01"},
    ),
    Case(
        "sites",
        "query_account_usage",
        ({"start_date": "2024-01-01"},),
        "PUT",
        "/v2/query_usage/",
        body={"start_date": "2024-01-01"},
    ),
    Case(
        "analytics",
        "query",
        (S, _Q),
        "POST",
        f"/v2/sites/{S}/analytics/queries/",
        idempotent=True,
        body=_Q,
    ),
    Case(
        "analytics",
        "iterate",
        (S, _Q),
        "POST",
        f"/v2/sites/{S}/analytics/queries/",
        idempotent=True,
        body={**_Q, "page": 0, "page_length": 100},
    ),
]


async def _run(target: Any, case: Case, args: tuple[Any, ...] | None = None) -> Any:
    method: Callable[..., Any] = getattr(target, case.name)
    result = method(*(case.args if args is None else args), **case.kwargs)
    if case.name == "iterate":
        return [item async for item in result]
    return await result


def _client(recorder: Recorder) -> JWPlatformClient:
    jw = JWPlatformClient("test-secret")
    jw._call = recorder._call  # type: ignore[method-assign]
    return jw


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_method_and_path(case: Case) -> None:
    recorder = Recorder()
    jw = _client(recorder)

    await _run(getattr(jw, case.accessor), case)

    assert len(recorder.calls) == 1
    sent = recorder.calls[0]
    assert (sent.method, sent.path) == (case.method, case.path)
    assert sent.idempotent is case.idempotent
    assert sent.json == case.body


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.path.startswith(f"/v2/sites/{S}/")],
    ids=lambda c: c.id,
)
async def test_site_view_fills_in_the_site(case: Case) -> None:
    recorder = Recorder()
    view = _client(recorder).site(S)

    await _run(getattr(view, case.accessor), case, case.args[1:])

    sent = recorder.calls[0]
    assert (sent.method, sent.path, sent.idempotent) == (
        case.method,
        case.path,
        case.idempotent,
    )
    assert sent.json == case.body


def _public_methods(obj: object) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(obj)
        if not name.startswith("_") and callable(value)
    }


def _accessors(jw: JWPlatformClient) -> dict[str, Resource]:
    return {
        name: value for name, value in vars(jw).items() if isinstance(value, Resource)
    }


# Methods built from several routes, tested with their own module (uploads).
COMPOSITE = {("media", "upload")}


def test_every_accessor_method_is_covered() -> None:
    accessors = _accessors(JWPlatformClient("test-secret"))
    assert set(accessors) == set(ROUTES)
    offered = {(a, m) for a, obj in accessors.items() for m in _public_methods(obj)}
    assert offered - COMPOSITE == {(c.accessor, c.name) for c in CASES}


async def test_every_route_of_the_table_is_reached() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    for case in CASES:
        await _run(getattr(jw, case.accessor), case)
    reached = {(sent.method, sent.path) for sent in recorder.calls}
    ids = {
        "site_id": S,
        "media_id": M,
        "channel_id": Y,
        "playlist_type": "manual_playlist",
    }
    for accessor, operations in ROUTES.items():
        for operation, route in operations.items():
            names = [p.split("}")[0] for p in route.path.split("{")[1:]]
            values = {n: ids.get(n, X) for n in names}
            if operation in {"update", "get_typed", "delete_typed"} and (
                accessor == "playlists"
            ):
                values["playlist_type"] = {
                    "update": "dynamic_playlist",
                    "get_typed": "watchlist_playlist",
                    "delete_typed": "search_playlist",
                }[operation]
            path = route.path.format(**values)
            assert (route.method, path) in reached, f"{accessor}.{operation}"


def test_site_view_offers_every_site_scoped_method() -> None:
    jw = JWPlatformClient("test-secret")
    view = jw.site(S)
    account_level = {("webhooks", m) for m in _public_methods(jw.webhooks)}
    account_level.add(("sites", "query_account_usage"))
    for accessor, resource in _accessors(jw).items():
        wanted = {
            m for m in _public_methods(resource) if (accessor, m) not in account_level
        }
        bound = getattr(view, accessor, None)
        if not wanted:
            assert bound is None
            continue
        assert _public_methods(bound) == wanted, accessor


def test_site_view_shows_the_bound_signature() -> None:
    view = JWPlatformClient("test-secret").site(S)
    assert list(inspect.signature(view.media.get).parameters) == ["media_id"]
    assert view.media.get.__doc__ == JWPlatformClient("x").media.get.__doc__
    assert list(inspect.signature(view.playlists.update).parameters) == [
        "playlist_id",
        "playlist_type",
        "body",
    ]
    assert repr(view) == f"<SiteView site_id={S!r}>"
    assert isinstance(view, SiteView)


BAD_IDS = ["a/b", "..", "a?b", "a b", "", "a\nb", "ü1234567", "%2e%2e", 7]


def _id_positions(case: Case) -> list[int]:
    """Indexes of the case's arguments that are path ids."""
    return [
        i
        for i, arg in enumerate(case.args)
        if isinstance(arg, str) and arg in {S, M, X, Y}
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_bad_ids_raise_before_any_request(case: Case) -> None:
    recorder = Recorder()
    jw = _client(recorder)
    for position in _id_positions(case):
        for bad in BAD_IDS:
            args = list(case.args)
            args[position] = bad
            with pytest.raises(InvalidIdError):
                await _run(getattr(jw, case.accessor), case, tuple(args))
    assert recorder.calls == []


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_site_view_checks_its_site_id(bad: Any) -> None:
    with pytest.raises(InvalidIdError):
        JWPlatformClient("test-secret").site(bad)


@pytest.mark.parametrize(
    "call",
    [
        lambda jw: jw.playlists.create(S, "smart_playlist", BODY),
        lambda jw: jw.playlists.update(S, X, "Manual_Playlist", BODY),
        lambda jw: jw.playlists.get(S, X, playlist_type="../media"),
        lambda jw: jw.playlists.delete(S, X, playlist_type="playlist"),
    ],
)
async def test_unknown_playlist_types_are_refused(call: Any) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match="playlist type"):
        await call(_client(recorder))
    assert recorder.calls == []


@pytest.mark.parametrize("playlist_type", sorted(PLAYLIST_TYPES))
async def test_every_playlist_type_has_its_routes(playlist_type: str) -> None:
    recorder = Recorder()
    jw = _client(recorder)
    await jw.playlists.create(S, playlist_type, BODY)  # type: ignore[arg-type]
    await jw.playlists.update(S, X, playlist_type, BODY)  # type: ignore[arg-type]
    assert [(c.method, c.path) for c in recorder.calls] == [
        ("POST", f"{_P}{playlist_type}/"),
        ("PATCH", f"{_P}{X}/{playlist_type}/"),
    ]
    assert len(PLAYLIST_TYPES) == 7


async def test_list_sends_paging_filter_and_order() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    page = await jw.thumbnails.list(
        S, page=3, page_length=50, q=f"media_id: {M}", sort="created:asc"
    )
    assert recorder.calls[0].params == {
        "page": 3,
        "page_length": 50,
        "q": f"media_id: {M}",
        "sort": "created:asc",
    }
    assert page.key == "thumbnails"


async def test_media_iterate_windows_on_created_by_default() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    assert [m async for m in jw.media.iterate(S, q="tags: a", page_length=100)] == []
    assert recorder.calls[0].params == {
        "page": 1,
        "page_length": 100,
        "q": "tags: a AND created: [* TO *]",
        "sort": "created:asc,id:asc",
    }


async def test_other_iterates_page_by_number_by_default() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    assert [p async for p in jw.players.iterate(S, sort="title:asc")] == []
    assert recorder.calls[0].params == {
        "page": 1,
        "page_length": 500,
        "sort": "title:asc",
    }


async def test_strategy_is_overridable_per_call() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    items = jw.media.iterate(S, sort="title:asc", strategy=PageNumbers())
    assert [m async for m in items] == []
    assert recorder.calls[0].params == {
        "page": 1,
        "page_length": 500,
        "sort": "title:asc",
    }
    items = jw.thumbnails.iterate(S, strategy=CreatedWindows())
    assert [m async for m in items] == []
    assert recorder.calls[1].params is not None
    assert recorder.calls[1].params["sort"] == "created:asc,id:asc"


@pytest.mark.parametrize(
    "call",
    [
        lambda jw: jw.media.iterate(S, sort="title:asc"),
        lambda jw: jw.media.iterate(S, page_length=0),
        lambda jw: jw.media.iterate(S, page_length=10_001),
        lambda jw: jw.analytics.iterate(S, _Q, page_length=101),
        lambda jw: jw.analytics.iterate(S, _Q, source="ott"),
        lambda jw: jw.analytics.iterate(S, {**_Q, "page": -1}),
    ],
)
def test_iterate_checks_its_arguments_at_the_call(call: Any) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError):
        call(_client(recorder))
    assert recorder.calls == []


@pytest.mark.parametrize(
    "kwargs", [{"page": 0}, {"page_length": 0}, {"page_length": 10_001}]
)
async def test_list_checks_paging(kwargs: dict[str, int]) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match="page"):
        await _client(recorder).media.list(S, **kwargs)
    assert recorder.calls == []


async def test_analytics_query_sends_source_and_format() -> None:
    recorder = Recorder()
    jw = _client(recorder)
    await jw.analytics.query(S, _Q, source="floatleft")
    assert recorder.calls[0].params == {"source": "floatleft", "format": "json"}
    with pytest.raises(ValueError, match="format"):
        await jw.analytics.query(S, _Q, format="csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        await jw.analytics.query(S, _Q, source="ott")  # type: ignore[arg-type]
    assert len(recorder.calls) == 1


def test_route_table_shape() -> None:
    for accessor, operations in ROUTES.items():
        for operation, route in operations.items():
            assert route.path.startswith("/v2/")
            assert route.path.endswith("/")
            assert (route.key is not None) == (operation == "list"), accessor
            if route.method == "POST" and operation == "create":
                assert route.idempotent is None  # never repeated blindly
