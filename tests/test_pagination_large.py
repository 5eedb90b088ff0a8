"""``media.iterate`` on libraries past the result cap, against FakeJWPlatform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from jwasync import JWPlatformClient, RateLimit
from jwasync.resources import CreatedWindows, ListingError, PageNumbers
from jwasync.testing import FakeJWPlatform

SITE = "Abc12345"
SECRET = "fake-secret"
FAST = RateLimit(limit=100_000, period=1.0)


async def _serve(**options: Any) -> FakeJWPlatform:
    fake = FakeJWPlatform(tokens=(SECRET,), limit=100_000, period=1.0, **options)
    await fake.start()
    return fake


@pytest.fixture
async def small_cap() -> AsyncIterator[FakeJWPlatform]:
    fake = await _serve(result_cap=40)
    yield fake
    await fake.close()


@pytest.fixture
async def jw(small_cap: FakeJWPlatform) -> AsyncIterator[JWPlatformClient]:
    async with JWPlatformClient(
        SECRET, base_url=small_cap.url, rate_limit=FAST
    ) as client:
        yield client


def _media_requests(fake: FakeJWPlatform) -> list[str]:
    return [path for method, path in fake.requests if "/media/" in path]


async def test_25000_media_through_the_real_cap() -> None:
    fake = await _serve()  # result_cap=10_000, like JW
    try:
        seeded = [m["id"] for m in fake.seed_media(SITE, 25_000)]
        async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=FAST) as jw:
            found = [m["id"] async for m in jw.media.iterate(SITE, page_length=1000)]
            assert len(found) == 25_000
            assert found == seeded  # each once, oldest first
            assert len(_media_requests(fake)) <= 27

            # Page numbers alone stop at the cap: the reason for windows.
            capped = jw.media.iterate(SITE, page_length=1000, strategy=PageNumbers())
            assert len([m async for m in capped]) == 10_000
    finally:
        await fake.close()


async def test_small_cap_with_ties(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    seeded = [m["id"] for m in small_cap.seed_media(SITE, 300, per_timestamp=4)]
    found = [m["id"] async for m in jw.media.iterate(SITE, page_length=10)]
    assert sorted(found) == sorted(seeded)
    assert len(found) == len(set(found))


async def test_newest_first(jw: JWPlatformClient, small_cap: FakeJWPlatform) -> None:
    seeded = small_cap.seed_media(SITE, 130, per_timestamp=3)
    found = [m async for m in jw.media.iterate(SITE, page_length=7, sort="created:dsc")]
    assert sorted(m["id"] for m in found) == sorted(m["id"] for m in seeded)
    created = [m["created"] for m in found]
    assert created == sorted(created, reverse=True)


async def test_user_filter_is_kept(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    start = datetime(2021, 1, 1, tzinfo=UTC)
    start_b = datetime(2021, 1, 1, 0, 0, 1, tzinfo=UTC)
    wanted = small_cap.seed_media(SITE, 90, created_start=start, spacing=2, tags=["a"])
    small_cap.seed_media(SITE, 90, created_start=start_b, spacing=2, tags=["b"])

    found = [m["id"] async for m in jw.media.iterate(SITE, q="tags: a", page_length=9)]

    assert found == [m["id"] for m in wanted]


async def test_instants_fuller_than_the_longest_page(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    seeded = [m["id"] for m in small_cap.seed_media(SITE, 150, per_timestamp=30)]
    walk = CreatedWindows(max_page_length=8)
    found = [
        m["id"] async for m in jw.media.iterate(SITE, page_length=5, strategy=walk)
    ]
    assert sorted(found) == sorted(seeded)
    assert len(found) == len(set(found))


async def test_an_instant_fuller_than_the_cap_raises(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    small_cap.seed_media(SITE, 60, per_timestamp=60)
    items = jw.media.iterate(SITE, page_length=10)
    with pytest.raises(ListingError, match="60 items share created"):
        async for _ in items:
            pass


async def test_changes_while_iterating(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    seeded = [m["id"] for m in small_cap.seed_media(SITE, 400, per_timestamp=5)]
    ahead = iter(seeded[::-1])  # the newest: not reached before the last pages
    deleted_ahead: set[str] = set()
    added: list[str] = []
    found: list[str] = []
    body = {"upload": {"method": "external", "source_url": f"{jw.base_url}/x.m3u8"}}

    async for media in jw.media.iterate(SITE, page_length=10):
        found.append(media["id"])
        assert len(found) <= 500
        if len(found) % 40 == 0 and len(found) <= 320:
            # Delete one item already yielded and one not reached yet, and create
            # a new one, while the walk is under way.
            behind, not_yet = found[-7], next(ahead)
            await jw.media.delete(SITE, behind)
            await jw.media.delete(SITE, not_yet)
            deleted_ahead.add(not_yet)
            added.append((await jw.media.create(SITE, body))["id"])

    assert len(found) == len(set(found))
    assert set(seeded) - deleted_ahead <= set(found)
    assert not deleted_ahead & set(found)
    assert set(added) <= set(found)  # oldest first reaches the newest too


async def test_empty_library_is_one_request(
    jw: JWPlatformClient, small_cap: FakeJWPlatform
) -> None:
    assert [m async for m in jw.media.iterate(SITE)] == []
    assert len(_media_requests(small_cap)) == 1
