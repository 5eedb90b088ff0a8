"""End-to-end tests of the fake's auth and rate budget over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import pytest

from jwasync.testing import FakeJWPlatform, HeaderFault, ServerModel, serve

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEDIA = "/v2/sites/site1234/media/"


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def get(
    http: aiohttp.ClientSession, fake: FakeJWPlatform, path: str = MEDIA, **kw: Any
) -> tuple[int, dict[str, str], Any]:
    headers = kw.pop("headers", AUTH)
    async with http.get(fake.url + path, headers=headers, **kw) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, dict(resp.headers), body


async def test_unknown_or_missing_token_is_401_without_budget_headers(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeJWPlatform(tokens=(TOKEN,), limit=5) as fake:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
        ):
            status, got, body = await get(session, fake, headers=headers)
            assert status == 401
            assert body["errors"][0]["code"] == "unauthorized"
            assert "jw-request-remaining" not in got
        assert fake.remaining(TOKEN) == 5
        assert fake.stats_for(TOKEN).requests == []
        assert len(fake.requests) == 4


@pytest.mark.parametrize("model", ["sliding", "fixed", "bucket"])
async def test_budget_headers_on_every_response_and_429_when_spent(
    session: aiohttp.ClientSession, model: ServerModel
) -> None:
    clock = ManualClock()
    async with FakeJWPlatform(
        tokens=(TOKEN,),
        limit=3,
        period=60.0,
        model=model,
        fixed_offset=0.0,
        clock=clock,
    ) as fake:
        paths = [MEDIA, "/v2/nowhere/", MEDIA, MEDIA, MEDIA]
        results = [await get(session, fake, p) for p in paths]

    statuses = [status for status, _, _ in results]
    assert statuses == [200, 404, 200, 429, 429]
    assert [h["jw-request-limit"] for _, h, _ in results] == ["3"] * 5
    assert [h["jw-request-remaining"] for _, h, _ in results] == [
        "2",
        "1",
        "0",
        "0",
        "0",
    ]
    assert all("jw-request-id" in h for _, h, _ in results)
    assert results[3][2] == {
        "errors": [
            {
                "code": "rate_limit_exceeded",
                "description": "Too many requests for this API token.",
            }
        ]
    }
    assert "Retry-After" not in results[3][1]
    stats = fake.stats_for(TOKEN)
    assert (stats.accepted, stats.rejected) == (3, 2)
    assert stats.max_in_window() == 3
    assert [path for _, path in stats.requests] == paths


async def test_rejected_requests_are_not_executed(
    session: aiohttp.ClientSession,
) -> None:
    clock = ManualClock()
    async with FakeJWPlatform(tokens=(TOKEN,), limit=1, clock=clock) as fake:
        body = {"upload": {"method": "external", "source_url": "https://x/y.m3u8"}}
        async with session.post(fake.url + MEDIA, json=body, headers=AUTH) as resp:
            assert resp.status == 201
        async with session.post(fake.url + MEDIA, json=body, headers=AUTH) as resp:
            assert resp.status == 429
        clock.now = 120.0
        status, _, listed = await get(session, fake)
    assert status == 200
    assert listed["total"] == 1


@pytest.mark.parametrize("count_rejected", [False, True])
async def test_count_rejected_changes_what_remains(
    session: aiohttp.ClientSession, count_rejected: bool
) -> None:
    clock = ManualClock()
    async with FakeJWPlatform(
        tokens=(TOKEN,),
        limit=2,
        period=10.0,
        clock=clock,
        count_rejected=count_rejected,
    ) as fake:
        await get(session, fake)
        await get(session, fake)
        clock.now = 5.0
        status, _, _ = await get(session, fake)
        assert status == 429
        clock.now = 10.5
        status, headers, _ = await get(session, fake)
    assert status == 200
    assert headers["jw-request-remaining"] == ("0" if count_rejected else "1")


async def test_retry_after_seconds_is_rounded_up(
    session: aiohttp.ClientSession,
) -> None:
    clock = ManualClock()
    async with FakeJWPlatform(
        tokens=(TOKEN,), limit=2, period=10.0, clock=clock, retry_after="seconds"
    ) as fake:
        await get(session, fake)
        clock.now = 1.0
        await get(session, fake)
        clock.now = 2.5
        status, headers, _ = await get(session, fake)
    assert status == 429
    assert headers["Retry-After"] == "8"


async def test_retry_after_http_date(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with FakeJWPlatform(
        tokens=(TOKEN,), limit=1, period=30.0, clock=clock, retry_after="http-date"
    ) as fake:
        await get(session, fake)
        status, headers, _ = await get(session, fake)
    assert status == 429
    when = parsedate_to_datetime(headers["Retry-After"])
    assert headers["Retry-After"].endswith(" GMT")
    wait = (when - datetime.now(UTC)).total_seconds()
    assert 28.0 <= wait <= 32.0


async def test_each_token_has_its_own_budget(session: aiohttp.ClientSession) -> None:
    async with FakeJWPlatform(tokens=("a", "b"), limit=1, clock=ManualClock()) as fake:
        first = await get(session, fake, headers={"Authorization": "Bearer a"})
        second = await get(session, fake, headers={"Authorization": "Bearer a"})
        other = await get(session, fake, headers={"Authorization": "Bearer b"})
    assert [first[0], second[0], other[0]] == [200, 429, 200]
    assert set(fake.stats) == {"a", "b"}


async def test_spend_drains_budget_and_is_counted_apart(
    session: aiohttp.ClientSession,
) -> None:
    async with FakeJWPlatform(tokens=(TOKEN,), limit=5, clock=ManualClock()) as fake:
        assert fake.spend(TOKEN, 7) == 5
        status, headers, _ = await get(session, fake)
    assert status == 429
    assert headers["jw-request-remaining"] == "0"
    stats = fake.stats_for(TOKEN)
    assert (stats.foreign_accepted, stats.foreign_rejected) == (5, 2)
    assert (stats.accepted, stats.rejected) == (0, 1)


async def test_foreign_consumer_spends_at_its_rate(
    session: aiohttp.ClientSession,
) -> None:
    # 20 per second at 50% = one spend every 0.1 s.
    async with FakeJWPlatform(
        tokens=(TOKEN,), limit=20, period=1.0, foreign_rate=0.5
    ) as fake:
        await asyncio.sleep(0.35)
        before = fake.stats_for(TOKEN).foreign_accepted
        status, headers, _ = await get(session, fake)
        after = fake.stats_for(TOKEN).foreign_accepted
    assert status == 200
    assert 2 <= before <= after <= 5
    # The client sees the other consumer only through the header.
    assert 20 - after - 1 <= int(headers["jw-request-remaining"]) <= 20 - before - 1
    assert fake.stats_for(TOKEN).accepted == 1


@pytest.mark.parametrize("kind", ["missing", "garbled", "negative"])
async def test_header_faults(session: aiohttp.ClientSession, kind: HeaderFault) -> None:
    async with FakeJWPlatform(
        tokens=(TOKEN,), header_faults=1.0, header_fault_kinds=(kind,), seed=3
    ) as fake:
        results = [await get(session, fake) for _ in range(5)]
    assert all(status == 200 for status, _, _ in results)
    assert fake.stats_for(TOKEN).header_faults == 5
    for _, headers, _ in results:
        remaining = headers.get("jw-request-remaining")
        limit = headers.get("jw-request-limit")
        if kind == "missing":
            assert remaining is None
            assert limit is None
        elif kind == "negative":
            assert remaining is not None
            assert int(remaining) < 0
        else:
            values = [remaining, limit]
            assert any(v is None or not v.strip().isdigit() for v in values)


async def test_header_fault_probability_is_seeded(
    session: aiohttp.ClientSession,
) -> None:
    counts = []
    for _ in range(2):
        async with FakeJWPlatform(tokens=(TOKEN,), header_faults=0.5, seed=11) as fake:
            for _ in range(20):
                await get(session, fake)
            counts.append(fake.stats_for(TOKEN).header_faults)
    assert counts[0] == counts[1]
    assert 0 < counts[0] < 20


async def test_latency_is_applied_after_counting(
    session: aiohttp.ClientSession,
) -> None:
    loop = asyncio.get_running_loop()
    async with FakeJWPlatform(tokens=(TOKEN,), latency=0.05) as fake:
        sent = loop.time()
        await get(session, fake)
        done = loop.time()
    arrived = fake.stats_for(TOKEN).accepted_times[0]
    assert arrived - sent < 0.05
    assert done - arrived >= 0.05


async def test_latency_range_and_reset_stats(session: aiohttp.ClientSession) -> None:
    loop = asyncio.get_running_loop()
    async with FakeJWPlatform(tokens=(TOKEN,), latency=(0.01, 0.02)) as fake:
        sent = loop.time()
        await get(session, fake)
        assert loop.time() - sent >= 0.01
        fake.reset_stats()
        stats = fake.stats_for(TOKEN)
        assert (stats.accepted, stats.accepted_times, fake.requests) == (0, [], [])
        assert fake.remaining(TOKEN) == 59


async def test_lifecycle_url_and_double_close() -> None:
    fake = FakeJWPlatform()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.url
    await fake.start()
    assert fake.url.startswith("http://127.0.0.1:")
    assert not fake.url.endswith(":0")
    with pytest.raises(RuntimeError):
        await fake.start()
    await fake.close()
    await fake.close()
    assert fake.tokens == ("fake-secret",)


def test_bad_options_raise() -> None:
    with pytest.raises(ValueError, match="model"):
        FakeJWPlatform(model="leaky")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probability"):
        FakeJWPlatform(header_faults=2.0)
    with pytest.raises(ValueError, match="limit"):
        FakeJWPlatform(limit=0)
    with pytest.raises(ValueError, match="token"):
        FakeJWPlatform(tokens=())


async def test_fixed_offset_defaults_to_a_seeded_draw(
    session: aiohttp.ClientSession,
) -> None:
    async def first_wait(seed: int) -> float:
        options: dict[str, Any] = {
            "limit": 1,
            "period": 1000.0,
            "retry_after": "seconds",
        }
        fake = FakeJWPlatform(model="fixed", seed=seed, clock=ManualClock(), **options)
        async with fake:
            await get(session, fake, headers={"Authorization": "Bearer fake-secret"})
            _, headers, _ = await get(
                session, fake, headers={"Authorization": "Bearer fake-secret"}
            )
        return float(headers["Retry-After"])

    # At t=0 the wait is the distance to the next boundary, i.e. set by the offset.
    waits = [await first_wait(5), await first_wait(5), await first_wait(6)]
    assert waits[0] == waits[1] != waits[2]
    assert all(0 < w <= 1000 for w in waits)


async def test_serve_runs_until_cancelled(session: aiohttp.ClientSession) -> None:
    ready: asyncio.Queue[FakeJWPlatform] = asyncio.Queue()
    task = asyncio.create_task(
        serve(port=0, on_ready=ready.put_nowait, tokens=("cli",), limit=7)
    )
    fake = await asyncio.wait_for(ready.get(), timeout=5)
    status, headers, _ = await get(
        session, fake, headers={"Authorization": "Bearer cli"}
    )
    assert (status, headers["jw-request-limit"]) == (200, "7")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(session, fake, headers={"Authorization": "Bearer cli"})
