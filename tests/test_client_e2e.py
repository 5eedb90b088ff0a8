"""The client end to end: real sockets to the fake API, concurrency, retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

import jwasync
from jwasync import JWPlatformClient, RateLimit, RetryPolicy
from jwasync.testing import FakeJWPlatform

SECRET = "e2e-secret"
SITE = "Site1234"


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run a small aiohttp app on 127.0.0.1 (any port); yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("model", ["sliding", "fixed", "bucket"])
async def test_many_coroutines_share_one_secret_without_429s(model: str) -> None:
    async with FakeJWPlatform(
        tokens=(SECRET,), limit=20, period=1.0, model=model, latency=(0.001, 0.01)
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 10)]
        async with JWPlatformClient(
            SECRET, base_url=fake.url, rate_limit=RateLimit(20, 1.0)
        ) as jw:
            results = await asyncio.gather(
                *(jw.media.get(SITE, ids[i % 10]) for i in range(60))
            )
            stats = jw.budget
        server = fake.stats_for(SECRET)
    assert len(results) == 60
    assert {r["id"] for r in results} == set(ids)
    assert stats.throttled == 0
    assert server.rejected == 0
    assert server.accepted == stats.sent == 60
    if model == "sliding":
        # Alone on a sliding window, the log alone keeps every window within the limit.
        assert server.max_in_window() <= 20


async def test_two_clients_on_one_secret_share_one_budget() -> None:
    async with FakeJWPlatform(
        tokens=(SECRET,), limit=15, period=1.0, latency=0.002
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 5)]
        limit = RateLimit(15, 1.0)
        async with (
            JWPlatformClient(SECRET, base_url=fake.url, rate_limit=limit) as a,
            JWPlatformClient(SECRET, base_url=fake.url, rate_limit=limit) as b,
        ):
            await asyncio.gather(
                *(a.media.get(SITE, ids[i % 5]) for i in range(30)),
                *(b.media.get(SITE, ids[i % 5]) for i in range(30)),
            )
            assert a.budget == b.budget  # one budget, seen from both
            assert a.budget.sent == 60
        server = fake.stats_for(SECRET)
    assert server.rejected == 0
    assert server.max_in_window() <= 15


async def test_an_unseen_other_consumer_costs_few_429s_and_no_failures() -> None:
    async with FakeJWPlatform(
        tokens=(SECRET,), limit=20, period=1.0, foreign_rate=0.3, seed=3
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 5)]
        async with JWPlatformClient(
            SECRET, base_url=fake.url, rate_limit=RateLimit(20, 1.0)
        ) as jw:
            await asyncio.gather(*(jw.media.get(SITE, ids[i % 5]) for i in range(80)))
            stats = jw.budget
        server = fake.stats_for(SECRET)
    # The other consumer was really there, competing for the same slots...
    assert server.foreign_accepted + server.foreign_rejected >= 10
    # ...and every call succeeded; any 429 was retried through the budget.
    assert stats.sent - stats.throttled == 80
    assert server.accepted == 80
    assert stats.throttled <= 20


async def test_a_429_with_retry_after_is_honoured_over_http() -> None:
    async with FakeJWPlatform(
        tokens=(SECRET,), limit=5, period=1.0, retry_after="seconds"
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 1)]
        fake.spend(SECRET, 5)  # someone else took the whole window
        async with JWPlatformClient(
            SECRET, base_url=fake.url, rate_limit=RateLimit(5, 1.0)
        ) as jw:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await jw.media.get(SITE, ids[0])
            waited = loop.time() - started
            assert jw.budget.throttled == 1
    assert 0.9 <= waited <= 5.0


async def test_a_huge_retry_after_does_not_freeze_the_other_callers() -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.json_response(
                {"errors": [{"code": "rate_limit_exceeded"}]},
                status=429,
                headers={"Retry-After": "3600"},
            )
        return web.json_response({"id": "Media123"})

    app = web.Application()
    app.router.add_get("/v2/sites/{site}/media/{media}/", handler)
    async with (
        serve(app) as url,
        JWPlatformClient(SECRET, base_url=url, rate_limit=RateLimit(10, 0.5)) as jw,
    ):
        with pytest.raises(jwasync.TooManyRequestsError):
            await jw.media.get(SITE, "Media123")  # past max_retry_after: fails fast
        # Everyone else waits at most two periods, not an hour.
        result = await asyncio.wait_for(jw.media.get(SITE, "Media123"), 5)
    assert result == {"id": "Media123"}


async def test_a_put_that_may_have_run_is_not_silently_resent() -> None:
    executed = 0

    async def warm(request: web.Request) -> web.Response:
        return web.json_response({"id": "Media123"})

    async def clip(request: web.Request) -> web.StreamResponse:
        nonlocal executed
        executed += 1
        assert request.transport is not None
        request.transport.close()  # the work is done, the answer is lost
        return web.Response()

    app = web.Application()
    app.router.add_get("/v2/sites/{site}/media/{media}/", warm)
    app.router.add_put("/v2/sites/{site}/channels/{c}/events/{e}/clip/", clip)
    async with (
        serve(app) as url,
        JWPlatformClient(SECRET, base_url=url, rate_limit=None) as jw,
    ):
        await jw.media.get(SITE, "Media123")  # a kept-alive connection
        with pytest.raises(jwasync.ConnectError):
            await jw.channel_events.clip(SITE, "Chan1234", "Evnt1234")
    assert executed == 1


async def test_closing_the_client_stops_queued_calls_with_a_typed_error() -> None:
    async with FakeJWPlatform(tokens=(SECRET,), limit=2, period=2.0) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 1)]
        jw = JWPlatformClient(SECRET, base_url=fake.url, rate_limit=RateLimit(2, 2.0))
        calls = [asyncio.ensure_future(jw.media.get(SITE, ids[0])) for _ in range(6)]
        await asyncio.sleep(0.2)
        await jw.aclose()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert jw.budget.sent <= 3  # readable after close
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors
    assert all(isinstance(e, jwasync.ClientClosedError) for e in errors)


async def test_deeply_nested_json_is_a_typed_error() -> None:
    body = b"[" * 100_000 + b"]" * 100_000

    async def handler(request: web.Request) -> web.Response:
        status = 200 if request.match_info["media"] == "ok123456" else 400
        return web.Response(body=body, status=status, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/sites/{site}/media/{media}/", handler)
    async with (
        serve(app) as url,
        JWPlatformClient(SECRET, base_url=url, rate_limit=None) as jw,
    ):
        with pytest.raises(jwasync.InvalidResponseError):
            await jw.media.get(SITE, "ok123456")
        with pytest.raises(jwasync.BadRequestError) as info:
            await jw.media.get(SITE, "bad12345")
    assert info.value.errors == []


async def test_a_retry_is_logged_at_info_and_a_429_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeJWPlatform(tokens=(SECRET,), limit=3, period=1.0) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 1)]
        fake.spend(SECRET, 3)
        with caplog.at_level(logging.INFO, logger="jwasync"):
            async with JWPlatformClient(
                SECRET,
                base_url=fake.url,
                rate_limit=RateLimit(3, 1.0),
                retry=RetryPolicy(max_attempts=5),
            ) as jw:
                await jw.media.get(SITE, ids[0])
    messages = [r.getMessage() for r in caplog.records]
    assert sum("429 received" in m for m in messages) >= 1
    assert any("retrying" in m for m in messages)
    assert not any(SECRET in m for m in messages)
