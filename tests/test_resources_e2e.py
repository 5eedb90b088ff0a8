"""Each accessor's main verbs against FakeJWPlatform, over real loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from jwasync import JWPlatformClient, NotFoundError, RateLimit
from jwasync.testing import FakeJWPlatform

SITE = "Abc12345"
SECRET = "fake-secret"
FAST = RateLimit(limit=100_000, period=1.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeJWPlatform]:
    async with FakeJWPlatform(tokens=(SECRET,), limit=100_000, period=1.0) as server:
        yield server


@pytest.fixture
async def jw(fake: FakeJWPlatform) -> AsyncIterator[JWPlatformClient]:
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=FAST) as client:
        yield client


async def _all(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


def _fetch(fake: FakeJWPlatform, title: str) -> dict[str, Any]:
    # A loopback URL: the fake never fetches it, and nothing else should either.
    return {
        "upload": {"method": "fetch", "download_url": f"{fake.url}/files/{title}.mp4"},
        "metadata": {"title": title, "tags": ["e2e"]},
    }


async def test_media_verbs(jw: JWPlatformClient, fake: FakeJWPlatform) -> None:
    made = await jw.media.create(SITE, _fetch(fake, "first"))
    media_id = made["id"]

    assert (await jw.media.get(SITE, media_id))["metadata"]["title"] == "first"
    updated = await jw.media.update(SITE, media_id, {"metadata": {"title": "renamed"}})
    assert updated["metadata"]["title"] == "renamed"
    page = await jw.media.list(SITE, q="tags: e2e")
    assert [m["id"] for m in page] == [media_id]
    assert [m["id"] async for m in jw.media.iterate(SITE)] == [media_id]
    again = await jw.media.reupload(
        SITE, media_id, {"upload": {"method": "direct", "mime_type": "video/mp4"}}
    )
    assert "upload_link" in again

    await jw.media.delete(SITE, media_id)
    with pytest.raises(NotFoundError):
        await jw.media.get(SITE, media_id)


async def test_media_children(jw: JWPlatformClient, fake: FakeJWPlatform) -> None:
    media_id = (await jw.media.create(SITE, _fetch(fake, "parent")))["id"]
    for accessor in (jw.media_renditions, jw.originals, jw.text_tracks):
        child = await accessor.create(SITE, media_id, {"metadata": {"label": "x"}})
        assert (await accessor.get(SITE, media_id, child["id"]))["id"] == child["id"]
        assert [c["id"] for c in await accessor.list(SITE, media_id)] == [child["id"]]
        assert len(await _all(accessor.iterate(SITE, media_id))) == 1
        await accessor.delete(SITE, media_id, child["id"])
        assert len(await accessor.list(SITE, media_id)) == 0

    track = await jw.text_tracks.create(SITE, media_id, {"metadata": {"srclang": "en"}})
    original = await jw.originals.create(SITE, media_id, {"metadata": {"n": "a"}})
    patched = await jw.originals.update(
        SITE, media_id, original["id"], {"metadata": {"n": "b"}}
    )
    assert patched["metadata"]["n"] == "b"
    patched = await jw.text_tracks.update(
        SITE, media_id, track["id"], {"metadata": {"label": "English"}}
    )
    assert patched["metadata"]["label"] == "English"
    published = await jw.text_tracks.publish(SITE, media_id, track["id"])
    assert published is not None
    assert published["published"] is True
    unpublished = await jw.text_tracks.unpublish(SITE, media_id, track["id"])
    assert unpublished is not None
    assert unpublished["published"] is False


@pytest.mark.parametrize(
    "accessor",
    [
        "thumbnails",
        "players",
        "media_protection_rules",
        "drm_policies",
        "channels",
        "imports",
        "ad_schedules",
        "vpb_configs",
        "player_bidding_configs",
    ],
)
async def test_site_collections(jw: JWPlatformClient, accessor: str) -> None:
    resource: Any = getattr(jw, accessor)  # one of several SiteCollections
    made = [
        await resource.create(SITE, {"metadata": {"name": f"n{i}"}}) for i in range(3)
    ]
    first = made[0]["id"]

    assert (await resource.get(SITE, first))["metadata"]["name"] == "n0"
    patched = await resource.update(SITE, first, {"metadata": {"name": "z"}})
    assert patched["metadata"]["name"] == "z"
    page = await resource.list(SITE, page_length=2)
    assert (len(page), page.total) == (2, 3)
    listed = await _all(resource.iterate(SITE, page_length=2))
    assert sorted(i["id"] for i in listed) == sorted(i["id"] for i in made)

    await resource.delete(SITE, first)
    with pytest.raises(NotFoundError):
        await resource.get(SITE, first)


async def test_playlists_of_every_kind(jw: JWPlatformClient) -> None:
    body = {"metadata": {"title": "Picks"}}
    manual = await jw.playlists.create(SITE, "manual_playlist", body)
    dynamic = await jw.playlists.create(SITE, "dynamic_playlist", body)
    await jw.playlists.create(SITE, "watchlist_playlist", body)

    page = await jw.playlists.list(SITE)
    assert page.total == 3
    assert len(await _all(jw.playlists.iterate(SITE, page_length=1))) == 3
    assert (await jw.playlists.get(SITE, manual["id"]))["id"] == manual["id"]
    typed = await jw.playlists.get(
        SITE, dynamic["id"], playlist_type="dynamic_playlist"
    )
    assert typed["id"] == dynamic["id"]
    with pytest.raises(NotFoundError):  # the typed route checks the type
        await jw.playlists.get(SITE, dynamic["id"], playlist_type="manual_playlist")
    patched = await jw.playlists.update(
        SITE, manual["id"], "manual_playlist", {"metadata": {"title": "Best"}}
    )
    assert patched["metadata"]["title"] == "Best"

    await jw.playlists.delete(SITE, manual["id"])
    await jw.playlists.delete(SITE, dynamic["id"], playlist_type="dynamic_playlist")
    assert (await jw.playlists.list(SITE)).total == 1


async def test_site_protection_rule(jw: JWPlatformClient) -> None:
    rule = await jw.site_protection_rule.get(SITE)
    patched = await jw.site_protection_rule.update(
        SITE, {"metadata": {"allowed_domains": ["example.org"]}}
    )
    assert patched["id"] == rule["id"]
    assert patched["metadata"]["allowed_domains"] == ["example.org"]


async def test_channel_events(jw: JWPlatformClient, fake: FakeJWPlatform) -> None:
    channel = await jw.channels.create(SITE, {"metadata": {"title": "Live"}})
    event = fake.add_object(SITE, "events", {"status": "idle"}, parent_id=channel["id"])

    page = await jw.channel_events.list(SITE, channel["id"])
    assert [e["id"] for e in page] == [event["id"]]
    assert len(await _all(jw.channel_events.iterate(SITE, channel["id"]))) == 1
    got = await jw.channel_events.get(SITE, channel["id"], event["id"])
    assert got["id"] == event["id"]
    master = await jw.channel_events.request_master(SITE, channel["id"], event["id"])
    assert master is not None
    assert master["master_access"]["status"] == "requested"
    assert await jw.channel_events.clip(
        SITE, channel["id"], event["id"], {"start_time": 5}
    )


async def test_bulk_attach_configs_to_schedules(jw: JWPlatformClient) -> None:
    schedule = await jw.ad_schedules.create(SITE, {"metadata": {"name": "pre"}})
    vpb = await jw.vpb_configs.create(SITE, {"metadata": {"name": "v"}})
    bidding = await jw.player_bidding_configs.create(SITE, {"metadata": {"name": "b"}})

    await jw.ad_schedules.update_schedules_vpb_config(
        SITE, {"schedule_ids": [schedule["id"]], "vpb_config_id": vpb["id"]}
    )
    await jw.ad_schedules.update_schedules_player_bidding_configs(
        SITE,
        {"schedule_ids": [schedule["id"]], "player_bidding_config_id": bidding["id"]},
    )

    linked = (await jw.ad_schedules.get(SITE, schedule["id"]))["relationships"]
    assert linked["vpb_config"] == [{"id": vpb["id"]}]
    assert linked["player_bidding_config"] == [{"id": bidding["id"]}]


async def test_webhooks_are_account_level(jw: JWPlatformClient) -> None:
    body = {
        "metadata": {
            "name": "hook",
            "webhook_url": "http://127.0.0.1:9/hook",
            "events": ["media_available"],
            "site_ids": [SITE],
        }
    }
    made = await jw.webhooks.create(body)
    assert made["secret"]
    assert (await jw.webhooks.get(made["id"]))["metadata"]["name"] == "hook"
    patched = await jw.webhooks.update(made["id"], {"metadata": {"name": "h2"}})
    assert patched["metadata"]["name"] == "h2"
    assert (await jw.webhooks.list()).total == 1
    assert len(await _all(jw.webhooks.iterate())) == 1
    await jw.webhooks.delete(made["id"])
    assert (await jw.webhooks.list()).total == 0


async def test_tags_and_usage(jw: JWPlatformClient, fake: FakeJWPlatform) -> None:
    fake.seed_media(SITE, 3, tags=["old", "keep"])
    fake.seed_media("Other123", 2)

    await jw.sites.rename_tag(SITE, {"old_tag": "old", "new_tag": "new"})
    await jw.sites.remove_tag(SITE, {"tag": "keep"})
    tags = {tuple(m["metadata"]["tags"]) async for m in jw.media.iterate(SITE)}
    assert tags == {("new",)}

    usage = await jw.sites.query_usage(SITE, {"start_date": "2024-01-01"})
    assert [row["media_count"] for row in usage["usage"]] == [3]
    account = await jw.sites.query_account_usage({"start_date": "2024-01-01"})
    assert sorted(row["media_count"] for row in account["usage"]) == [2, 3]


async def test_analytics() -> None:
    async with (
        FakeJWPlatform(
            tokens=(SECRET,), limit=100_000, period=1.0, analytics_rows=250
        ) as server,
        JWPlatformClient(SECRET, base_url=server.url, rate_limit=FAST) as jw,
    ):
        server.seed_media(SITE, 5)
        query = {
            "relative_timeframe": "7 Days",
            "dimensions": ["media_id"],
            "metrics": [{"field": "plays", "operation": "sum"}],
        }
        first = await jw.analytics.query(SITE, {**query, "page_length": 100})
        assert len(first["data"]["rows"]) == 100

        rows = await _all(jw.analytics.iterate(SITE, query))
        assert len(rows) == 250
        assert rows[:100] == first["data"]["rows"]
        bodies = [r for r in server.requests if "analytics" in r[1]]
        assert len(bodies) == 1 + 3  # pages 0, 1 and 2 (50 rows): short, so done


async def test_the_site_view_end_to_end(
    jw: JWPlatformClient, fake: FakeJWPlatform
) -> None:
    site = jw.site(SITE)
    made = await site.media.create(_fetch(fake, "viewed"))
    assert (await site.media.get(made["id"]))["id"] == made["id"]
    player = await site.players.create({"metadata": {"name": "p"}})
    assert [p["id"] async for p in site.players.iterate()] == [player["id"]]
    playlist = await site.playlists.create("search_playlist", {"metadata": {}})
    await site.playlists.delete(playlist["id"])
    assert (await site.playlists.list()).total == 0
