"""End-to-end tests of the fake's routes, store, listing, ``q`` and the result cap."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from jwasync.testing import FakeJWPlatform

TOKEN = "secret-token"
SITE = "/v2/sites/Site0001"
ID = re.compile(r"^[A-Za-z0-9]{8}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


class Api:
    """A thin JSON helper over a plain aiohttp session."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeJWPlatform) -> None:
        self.http = http
        self.fake = fake

    async def call(
        self, method: str, path: str, body: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {TOKEN}"}, **kw}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.fake.url + path, **kwargs) as resp:
            if resp.status == 204:
                assert await resp.read() == b""
                return 204, None
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, data = await self.call(method, path, body, **kw)
        assert status in (200, 201, 202, 204), (status, data)
        return data


@pytest.fixture
async def fake() -> AsyncIterator[FakeJWPlatform]:
    async with FakeJWPlatform(tokens=(TOKEN,), limit=100_000, result_cap=20) as server:
        yield server


@pytest.fixture
async def api(fake: FakeJWPlatform) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as http:
        yield Api(http, fake)


def error_code(data: Any) -> str:
    code: str = data["errors"][0]["code"]
    return code


async def test_crud_on_players_with_metadata_merge(api: Api) -> None:
    created = await api.ok(
        "POST", f"{SITE}/players/", {"metadata": {"name": "p", "release_channel": "x"}}
    )
    assert ID.match(created["id"])
    assert created["type"] == "player"
    assert STAMP.match(created["created"])
    assert created["relationships"] == {}
    path = f"{SITE}/players/{created['id']}/"

    patched = await api.ok("PATCH", path, {"metadata": {"name": "q"}})
    assert patched["metadata"] == {"name": "q", "release_channel": "x"}
    assert patched["last_modified"] > created["last_modified"]
    assert await api.ok("GET", path.rstrip("/")) == patched

    listed = await api.ok("GET", f"{SITE}/players")
    assert listed == {"players": [patched], "page": 1, "page_length": 10, "total": 1}

    assert await api.call("DELETE", path) == (204, None)
    status, data = await api.call("GET", path)
    assert (status, error_code(data)) == (404, "not_found")


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("media_protection_rules", "media_protection_rule"),
        ("drm_policies", "drm_policy"),
        ("channels", "channel"),
        ("imports", "import"),
        ("thumbnails", "thumbnail"),
        ("advertising/schedules", "ad_schedule"),
        ("advertising/vpb_configs", "vpb_config"),
        ("advertising/player_bidding_configs", "player_bidding_config"),
    ],
)
async def test_generic_collections_create_and_list(
    api: Api, key: str, kind: str
) -> None:
    created = await api.ok("POST", f"{SITE}/{key}/", {"metadata": {"name": "n"}})
    assert created["type"] == kind
    listed = await api.ok("GET", f"{SITE}/{key}/")
    assert listed[key.split("/")[-1]] == [created]


async def test_media_children_need_their_parent(api: Api, fake: FakeJWPlatform) -> None:
    (media,) = fake.seed_media("Site0001", 1)
    base = f"{SITE}/media/{media['id']}"
    track = await api.ok(
        "POST",
        f"{base}/text_tracks/",
        {"metadata": {"label": "English", "srclang": "en"}},
    )
    assert track["published"] is False
    published = await api.ok("PUT", f"{base}/text_tracks/{track['id']}/publish/")
    assert published["published"] is True
    listed = await api.ok("GET", f"{base}/text_tracks/")
    assert [t["id"] for t in listed["text_tracks"]] == [track["id"]]

    rendition = await api.ok("POST", f"{base}/media_renditions/", {})
    status, _ = await api.call(
        "PATCH", f"{base}/media_renditions/{rendition['id']}/", {}
    )
    assert status == 405
    await api.ok("POST", f"{base}/originals/", {"metadata": {"name": "o"}})

    status, data = await api.call("GET", f"{SITE}/media/NOPE0000/text_tracks/")
    assert (status, error_code(data)) == (404, "not_found")


async def test_playlist_typed_routes(api: Api) -> None:
    made = await api.ok(
        "POST", f"{SITE}/playlists/manual_playlist/", {"metadata": {"title": "m"}}
    )
    other = await api.ok("POST", f"{SITE}/playlists/watchlist_playlist/", {})
    assert made["type"] == "playlist"
    assert made["playlist_type"] == "manual_playlist"
    pid = made["id"]

    assert (await api.ok("GET", f"{SITE}/playlists/{pid}/"))["id"] == pid
    assert (await api.ok("GET", f"{SITE}/playlists/{pid}/manual_playlist/"))[
        "id"
    ] == pid
    status, _ = await api.call("GET", f"{SITE}/playlists/{pid}/dynamic_playlist/")
    assert status == 404
    status, _ = await api.call("PATCH", f"{SITE}/playlists/{pid}/", {})
    assert status == 405
    # JW's own Python client lists here; the route is create-only.
    status, _ = await api.call("GET", f"{SITE}/playlists/manual_playlist/")
    assert status == 405

    patched = await api.ok(
        "PATCH", f"{SITE}/playlists/{pid}/manual_playlist/", {"metadata": {"x": 1}}
    )
    assert patched["metadata"] == {"title": "m", "x": 1}
    listed = await api.ok("GET", f"{SITE}/playlists/", params={"sort": "created:asc"})
    assert [p["id"] for p in listed["playlists"]] == [pid, other["id"]]
    status, _ = await api.call("DELETE", f"{SITE}/playlists/{pid}/manual_playlist/")
    assert status == 204
    status, _ = await api.call("DELETE", f"{SITE}/playlists/{other['id']}/")
    assert status == 204


async def test_webhooks_are_account_level_and_show_the_secret_once(api: Api) -> None:
    made = await api.ok(
        "POST",
        "/v2/webhooks/",
        {"metadata": {"name": "w", "webhook_url": "https://example.invalid/h"}},
    )
    assert re.fullmatch(r"[0-9a-f]{40}", made["secret"])
    fetched = await api.ok("GET", f"/v2/webhooks/{made['id']}/")
    assert "secret" not in fetched
    assert fetched["metadata"]["name"] == "w"
    status, _ = await api.call("GET", f"{SITE}/webhooks/")
    assert status == 404


async def test_site_protection_rule_singleton(api: Api) -> None:
    rule = await api.ok("GET", f"{SITE}/site_protection_rule/")
    assert rule["type"] == "site_protection_rule"
    patched = await api.ok(
        "PATCH", f"{SITE}/site_protection_rule/", {"metadata": {"a": 1}}
    )
    assert patched["id"] == rule["id"]
    assert (await api.ok("GET", f"{SITE}/site_protection_rule"))["metadata"] == {"a": 1}
    status, _ = await api.call("DELETE", f"{SITE}/site_protection_rule/")
    assert status == 405


async def test_channel_events_and_their_actions(api: Api, fake: FakeJWPlatform) -> None:
    channel = await api.ok("POST", f"{SITE}/channels/", {"metadata": {"title": "c"}})
    assert channel["status"] == "idle"
    event = fake.add_object(
        "Site0001", "events", {"status": "idle"}, parent_id=channel["id"]
    )
    base = f"{SITE}/channels/{channel['id']}/events"
    assert (await api.ok("GET", f"{base}/"))["events"] == [event]
    master = await api.ok("PUT", f"{base}/{event['id']}/request_master/")
    assert master["master_access"]["status"] == "requested"
    assert (await api.ok("PUT", f"{base}/{event['id']}/clip/", {}))["id"] == event["id"]
    status, _ = await api.call("POST", f"{base}/", {})
    assert status == 405


async def test_bulk_attach_links_schedules(api: Api, fake: FakeJWPlatform) -> None:
    schedule = await api.ok("POST", f"{SITE}/advertising/schedules/", {"metadata": {}})
    config = await api.ok("POST", f"{SITE}/advertising/vpb_configs/", {"metadata": {}})
    await api.ok(
        "PUT",
        f"{SITE}/advertising/update_schedules_vpb_config/",
        {"schedule_ids": [schedule["id"]], "vpb_config_id": config["id"]},
    )
    linked = fake.get_object("Site0001", "schedules", schedule["id"])
    assert linked is not None
    assert linked["relationships"]["vpb_config"] == [{"id": config["id"]}]
    status, data = await api.call(
        "PUT",
        f"{SITE}/advertising/update_schedules_player_bidding_configs/",
        {"schedule_ids": ["NOPE0000"]},
    )
    assert (status, error_code(data)) == (404, "not_found")
    status, data = await api.call(
        "PUT", f"{SITE}/advertising/update_schedules_vpb_config/", {}
    )
    assert (status, error_code(data)) == (400, "invalid_body")


async def test_remove_and_rename_tag_across_the_site(
    api: Api, fake: FakeJWPlatform
) -> None:
    fake.seed_media("Site0001", 3, tags=["old", "keep"])
    assert await api.call(
        "PUT", f"{SITE}/rename_tag/", {"old_tag": "old", "new_tag": "new"}
    ) == (
        202,
        {},
    )
    listed = await api.ok("GET", f"{SITE}/media/", params={"q": "tags: new"})
    assert listed["total"] == 3
    assert await api.call("PUT", f"{SITE}/remove_tag/", {"tag": "keep"}) == (202, {})
    listed = await api.ok("GET", f"{SITE}/media/")
    assert all(m["metadata"]["tags"] == ["new"] for m in listed["media"])
    status, data = await api.call("PUT", f"{SITE}/remove_tag/", {})
    assert (status, error_code(data)) == (400, "invalid_body")


async def test_query_usage_site_and_account(api: Api, fake: FakeJWPlatform) -> None:
    fake.seed_media("Site0001", 2)
    fake.seed_media("Site0002", 1)
    site = await api.ok("PUT", f"{SITE}/query_usage/", {})
    assert site["usage"] == [
        {"site_id": "Site0001", "media_count": 2, "storage_bytes": 0}
    ]
    account = await api.ok("PUT", "/v2/query_usage/", {})
    assert [row["site_id"] for row in account["usage"]] == ["Site0001", "Site0002"]


async def test_analytics_query_shape_paging_and_csv(api: Api) -> None:
    path = f"{SITE}/analytics/queries/"
    body = {
        "start_date": "2024-01-01",
        "end_date": "2024-01-31",
        "dimensions": ["country_code"],
        "metrics": [{"field": "plays", "operation": "sum"}],
        "page": 24,
        "page_length": 10,
    }
    data = await api.ok(
        "POST", path, body, params={"source": "default", "format": "json"}
    )
    assert data["type"] == "query_results"
    assert (data["page"], data["page_length"]) == (24, 10)
    assert len(data["data"]["rows"]) == 10
    assert data["metadata"]["column_headers"]["metrics"] == [
        {"field": "plays", "units": "count"}
    ]
    assert data["metadata"]["start_date"] == "2024-01-01"
    past_end = await api.ok(
        "POST", path, {**body, "page": 25}, params={"format": "json"}
    )
    assert past_end["data"]["rows"] == []

    status, text = await api.call(
        "POST", path, {**body, "page": 0}, params={"format": "csv"}
    )
    assert status == 200
    assert text.splitlines()[0] == "country_code,plays"
    assert len(text.splitlines()) == 11

    for bad in ({**body, "page_length": 101}, {"dimensions": ["x"]}):
        status, data = await api.call("POST", path, bad)
        assert (status, error_code(data)) == (400, "invalid_body")
    status, _ = await api.call("POST", path, body, params={"source": "elsewhere"})
    assert status == 400


async def test_errors_404_405_400(api: Api, fake: FakeJWPlatform) -> None:
    status, data = await api.call("GET", "/v2/sites/Site0001/nothing/")
    assert (status, error_code(data)) == (404, "not_found")
    status, data = await api.call("GET", "/not-v2/")
    assert (status, error_code(data)) == (404, "not_found")
    status, data = await api.call("GET", "/v2/sites//media/")
    assert status == 404

    async with api.http.delete(
        fake.url + f"{SITE}/media/", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as resp:
        assert resp.status == 405
        assert set(resp.headers["Allow"].split(", ")) == {"GET", "POST"}
        assert error_code(await resp.json()) == "method_not_allowed"

    for raw in (b"{not json", b"[1, 2]", b"\xff"):
        status, data = await api.call("POST", f"{SITE}/players/", data=raw)
        assert (status, error_code(data)) == (400, "invalid_body")

    for params in (
        {"page_length": "1001"},
        {"page": "0"},
        {"page": "x"},
        {"sort": "x"},
    ):
        status, data = await api.call("GET", f"{SITE}/media/", params=params)
        assert (status, error_code(data)) == (400, "invalid_parameter")
    status, data = await api.call(
        "GET", f"{SITE}/media/", params={"q": "title: a OR b"}
    )
    assert (status, error_code(data)) == (400, "invalid_query")


async def test_pagination_sort_and_q(api: Api, fake: FakeJWPlatform) -> None:
    seeded = fake.seed_media("Site0001", 15, title_prefix="Clip")
    newest_first = [m["id"] for m in reversed(seeded)]
    pages = [
        await api.ok("GET", f"{SITE}/media/", params={"page": p, "page_length": 4})
        for p in (1, 2, 3, 4, 5)
    ]
    assert [len(p["media"]) for p in pages] == [4, 4, 4, 3, 0]
    assert all(p["total"] == 15 for p in pages)
    assert [m["id"] for p in pages for m in p["media"]] == newest_first

    by_title = await api.ok(
        "GET", f"{SITE}/media/", params={"sort": "title:asc", "page_length": 3}
    )
    assert [m["metadata"]["title"] for m in by_title["media"]] == [
        "Clip 0",
        "Clip 1",
        "Clip 10",
    ]
    by_id = await api.ok(
        "GET", f"{SITE}/media/", params={"sort": "id:dsc", "page_length": 15}
    )
    assert [m["id"] for m in by_id["media"]] == sorted(newest_first, reverse=True)

    one = await api.ok("GET", f"{SITE}/media/", params={"q": 'title: "Clip 7"'})
    assert [m["id"] for m in one["media"]] == [seeded[7]["id"]]
    window = await api.ok(
        "GET",
        f"{SITE}/media/",
        params={
            "q": f"created: [{seeded[3]['created']} TO {seeded[5]['created']}]",
            "sort": "created:asc",
        },
    )
    assert [m["id"] for m in window["media"]] == [m["id"] for m in seeded[3:6]]


async def test_result_cap_hides_pages_but_not_the_total(
    api: Api, fake: FakeJWPlatform
) -> None:
    fake.seed_media("Site0001", 35)
    second = await api.ok(
        "GET", f"{SITE}/media/", params={"page": 2, "page_length": 10}
    )
    third = await api.ok("GET", f"{SITE}/media/", params={"page": 3, "page_length": 10})
    assert (len(second["media"]), second["total"]) == (10, 35)
    assert (third["media"], third["total"]) == ([], 35)

    # Windows on created, each under the cap, reach everything.
    found: list[str] = []
    for q in (
        "created: [* TO 2020-01-01T00:00:16Z]",
        "created: [2020-01-01T00:00:17Z TO *]",
    ):
        page = await api.ok(
            "GET",
            f"{SITE}/media/",
            params={"q": q, "page_length": 20, "sort": "created:asc"},
        )
        assert page["total"] <= 20
        found += [m["id"] for m in page["media"]]
    assert len(set(found)) == 35

    # The cap is for media searches only.
    for _ in range(25):
        await api.ok("POST", f"{SITE}/players/", {})
    players = await api.ok(
        "GET", f"{SITE}/players/", params={"page": 3, "page_length": 10}
    )
    assert len(players["players"]) == 5


async def test_seeded_ties_and_mutation_while_paging(
    api: Api, fake: FakeJWPlatform
) -> None:
    start = datetime(2021, 5, 1, tzinfo=UTC)
    seeded = fake.seed_media("Site0001", 6, created_start=start, per_timestamp=3)
    assert len({m["created"] for m in seeded}) == 2
    assert seeded[0]["created"] == "2021-05-01T00:00:00.000000+00:00"

    params = {"page_length": 2, "sort": "created:asc"}
    first = await api.ok("GET", f"{SITE}/media/", params={**params, "page": 1})
    assert [m["id"] for m in first["media"]] == [m["id"] for m in seeded[:2]]
    await api.ok("DELETE", f"{SITE}/media/{seeded[0]['id']}/")
    second = await api.ok("GET", f"{SITE}/media/", params={**params, "page": 2})
    # The deletion shifts everything left, so a naive pager never sees seeded[2].
    assert [m["id"] for m in second["media"]] == [m["id"] for m in seeded[3:5]]
    assert second["total"] == 5


async def test_seeding_and_listing_25k_media_is_fast() -> None:
    started = time.perf_counter()
    async with (
        FakeJWPlatform(tokens=(TOKEN,), limit=100_000) as fake,
        aiohttp.ClientSession() as http,
    ):
        seeded = fake.seed_media("BigSite1", 25_000)
        api = Api(http, fake)
        ids: set[str] = set()
        bounds = ("*", "2020-01-01T02:46:40Z", "2020-01-01T05:33:20Z", "*")
        for low, high in itertools.pairwise(bounds):
            q = f"created: [{low} TO {high}]"
            for page in range(1, 11):
                data = await api.ok(
                    "GET",
                    "/v2/sites/BigSite1/media/",
                    params={
                        "q": q,
                        "page": page,
                        "page_length": 1000,
                        "sort": "created:asc",
                    },
                )
                ids.update(m["id"] for m in data["media"])
                if len(data["media"]) < 1000:
                    break
    elapsed = time.perf_counter() - started
    assert ids == {m["id"] for m in seeded}
    assert elapsed < 15.0, f"25k listing took {elapsed:.1f}s"
