"""The session layer in focus, against aioresponses (no sockets)."""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

import jwasync
from jwasync import JWPlatformClient, RateLimit, RetryPolicy

BASE = "https://api.test.invalid"
SECRET = "s3cr3t-PLANTED-abcdef0123456789"
MEDIA = f"{BASE}/v2/sites/Site1234/media/Media123/"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


@pytest.fixture
async def client() -> AsyncIterator[JWPlatformClient]:
    async with JWPlatformClient(
        SECRET, base_url=BASE, rate_limit=RateLimit(1000, 1.0), retry=FAST
    ) as jw:
        yield jw


def calls(m: aioresponses, method: str, url: str) -> list[Any]:
    return list(m.requests.get((method, URL(url)), []))


def connector_error() -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey(
        "api.test.invalid", 443, True, None, None, None, None
    )
    return aiohttp.ClientConnectorError(key, OSError(111, "Connection refused"))


async def test_success_returns_json_and_sends_the_bearer(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, payload={"id": "Media123"})
    assert await client.media.get("Site1234", "Media123") == {"id": "Media123"}
    (call,) = calls(mocked, "GET", MEDIA)
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert call.kwargs["allow_redirects"] is False


async def test_empty_204_is_none(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.delete(MEDIA, status=204, body=b"")
    assert await client.media.delete("Site1234", "Media123") is None


async def test_success_with_garbage_body_is_a_typed_error(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, status=200, body=b"<html>oops</html>", content_type="text/html")
    with pytest.raises(jwasync.InvalidResponseError) as info:
        await client.media.get("Site1234", "Media123")
    assert info.value.status == 200
    assert len(calls(mocked, "GET", MEDIA)) == 1


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, jwasync.BadRequestError),
        (401, jwasync.UnauthorizedError),
        (403, jwasync.ForbiddenError),
        (404, jwasync.NotFoundError),
        (409, jwasync.ConflictError),
        (422, jwasync.UnprocessableEntityError),
        (418, jwasync.APIError),
    ],
)
async def test_error_statuses_map_to_classes(
    mocked: aioresponses, client: JWPlatformClient, status: int, cls: type[Exception]
) -> None:
    body = {"errors": [{"code": "some_code", "description": "what went wrong"}]}
    mocked.get(MEDIA, status=status, payload=body, headers={"jw-request-id": "req-9"})
    with pytest.raises(cls) as info:
        await client.media.get("Site1234", "Media123")
    error = info.value
    assert isinstance(error, jwasync.APIError)
    assert error.status == status
    assert error.errors == body["errors"]
    assert error.codes == ["some_code"]
    assert error.request_id == "req-9"
    assert "some_code" in str(error)
    assert len(calls(mocked, "GET", MEDIA)) == 1  # 4xx is never retried


async def test_html_502_is_retried_then_a_server_error_with_status(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    mocked.get(MEDIA, status=502, body=page, content_type="text/html", repeat=True)
    with pytest.raises(jwasync.ServerError) as info:
        await client.media.get("Site1234", "Media123")
    assert info.value.status == 502
    assert info.value.errors == []
    assert len(calls(mocked, "GET", MEDIA)) == 3


async def test_transient_5xx_then_success(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, status=503, body=b"")
    mocked.get(MEDIA, payload={"id": "Media123"})
    assert (await client.media.get("Site1234", "Media123"))["id"] == "Media123"
    assert len(calls(mocked, "GET", MEDIA)) == 2


async def test_post_that_may_have_run_is_not_repeated(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/"
    mocked.post(url, status=500, payload={"errors": []}, repeat=True)
    with pytest.raises(jwasync.ServerError):
        await client.media.create("Site1234", {"metadata": {"title": "x"}})
    assert len(calls(mocked, "POST", url)) == 1


async def test_post_disconnected_mid_call_is_not_repeated(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/"
    mocked.post(url, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    with pytest.raises(jwasync.ConnectError):
        await client.media.create("Site1234", {"metadata": {}})
    assert len(calls(mocked, "POST", url)) == 1


async def test_post_that_never_connected_is_retried(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/"
    mocked.post(url, exception=connector_error())
    mocked.post(url, status=201, payload={"id": "New12345"})
    assert (await client.media.create("Site1234", {}))["id"] == "New12345"
    assert len(calls(mocked, "POST", url)) == 2
    # The refused attempt never reached the server, so it holds no slot.
    assert client.budget.sent == 1


async def test_timeouts_are_request_timeout_errors(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, exception=TimeoutError(), repeat=True)
    with pytest.raises(jwasync.RequestTimeoutError) as info:
        await client.media.get("Site1234", "Media123")
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, jwasync.TransportError)
    assert len(calls(mocked, "GET", MEDIA)) == 3


async def test_429_is_retried_through_the_budget(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/"
    limited = {"errors": [{"code": "rate_limit_exceeded", "description": "slow"}]}
    mocked.post(url, status=429, payload=limited, headers={"Retry-After": "0.05"})
    mocked.post(url, status=201, payload={"id": "New12345"})
    assert (await client.media.create("Site1234", {}))["id"] == "New12345"
    assert len(calls(mocked, "POST", url)) == 2
    stats = client.budget
    assert stats.throttled == 1
    assert stats.sent == 2


async def test_429_past_the_retry_policy_raises_too_many_requests(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    limited = {"errors": [{"code": "rate_limit_exceeded", "description": "slow"}]}
    mocked.get(MEDIA, status=429, payload=limited, repeat=True)
    with pytest.raises(jwasync.TooManyRequestsError) as info:
        await client.media.get("Site1234", "Media123")
    assert info.value.has_code("rate_limit_exceeded")
    assert len(calls(mocked, "GET", MEDIA)) == 3


async def test_a_long_retry_after_is_not_waited_out(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, status=429, body=b"", headers={"Retry-After": "3600"})
    with pytest.raises(jwasync.TooManyRequestsError) as info:
        await client.media.get("Site1234", "Media123")
    assert info.value.retry_after == 3600
    assert len(calls(mocked, "GET", MEDIA)) == 1


async def test_redirects_are_not_followed(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    mocked.get(MEDIA, status=302, headers={"Location": "https://elsewhere.invalid/"})
    with pytest.raises(jwasync.APIError) as info:
        await client.media.get("Site1234", "Media123")
    assert info.value.status == 302
    assert len(mocked.requests) == 1


@pytest.mark.parametrize(
    "path",
    [
        "https://elsewhere.invalid/v2/x/",
        "//elsewhere.invalid/v2/",
        "v2/webhooks/",
        "/v2/../admin/",
        "/v2/webhooks/?q=1",
        "/v2/web hooks/",
        "/v2/webhooks/#x",
        "",
    ],
)
async def test_raw_request_paths_cannot_leave_the_api(
    mocked: aioresponses, client: JWPlatformClient, path: str
) -> None:
    with pytest.raises(ValueError):
        await client.request("GET", path)
    assert not mocked.requests


@pytest.mark.parametrize(
    "bad_id", ["", "a/b", "..", "x?y=1", "has space", "tab\t", "é", "a%2Fb", "#frag"]
)
async def test_invalid_ids_raise_before_any_request(
    mocked: aioresponses, client: JWPlatformClient, bad_id: str
) -> None:
    with pytest.raises(jwasync.InvalidIdError):
        await client.media.get("Site1234", bad_id)
    with pytest.raises(ValueError):  # InvalidIdError is also a ValueError
        await client.media.delete(bad_id, "Media123")
    assert not mocked.requests


async def test_raw_request_shares_params_and_body(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/webhooks/?page=2&page_length=5&flag=true"
    mocked.get(url, payload={"webhooks": []})
    result = await client.request(
        "get", "/v2/webhooks/", params={"page": 2, "page_length": 5, "flag": True}
    )
    assert result == {"webhooks": []}
    ((key, (call,)),) = mocked.requests.items()
    assert key[1].path == "/v2/webhooks/"
    assert call.kwargs["params"] == {"page": "2", "page_length": "5", "flag": "true"}


async def test_list_builds_a_page(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/?page=1&page_length=2"
    body = {
        "media": [{"id": "a"}, {"id": "b"}],
        "page": 1,
        "page_length": 2,
        "total": 5,
    }
    mocked.get(url, payload=body)
    page = await client.media.list("Site1234", page_length=2)
    assert isinstance(page, jwasync.Page)
    assert [m["id"] for m in page] == ["a", "b"]
    assert (len(page), page.total, page.has_more) == (2, 5, True)


async def test_list_with_a_wrong_shape_is_a_typed_error(
    mocked: aioresponses, client: JWPlatformClient
) -> None:
    url = f"{BASE}/v2/sites/Site1234/media/?page=1&page_length=10"
    mocked.get(url, payload={"unexpected": True})
    with pytest.raises(jwasync.InvalidResponseError):
        await client.media.list("Site1234")


# -- lifecycle -------------------------------------------------------------------


async def test_secret_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWPLATFORM_API_SECRET", SECRET)
    async with JWPlatformClient(base_url=BASE) as jw:
        assert "[secure]" in repr(jw)


def test_no_secret_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWPLATFORM_API_SECRET", raising=False)
    with pytest.raises(ValueError, match="JWPLATFORM_API_SECRET"):
        JWPlatformClient()


@pytest.mark.parametrize(
    "base_url",
    ["ftp://x.invalid", "https://user:pw@x.invalid", "https://x.invalid/v2", "nohost"],
)
def test_bad_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        JWPlatformClient(SECRET, base_url=base_url)


async def test_aclose_twice_is_harmless_and_use_after_close_is_an_error(
    mocked: aioresponses,
) -> None:
    jw = JWPlatformClient(SECRET, base_url=BASE)
    await jw.aclose()
    await jw.aclose()
    assert jw.closed
    with pytest.raises(jwasync.ClientClosedError):
        await jw.media.get("Site1234", "Media123")
    with pytest.raises(RuntimeError):  # ClientClosedError is also a RuntimeError
        await jw.request("GET", "/v2/webhooks/")
    assert not mocked.requests


async def test_a_borrowed_session_is_not_closed(mocked: aioresponses) -> None:
    mocked.get(MEDIA, payload={"id": "Media123"})
    async with aiohttp.ClientSession() as session:
        async with JWPlatformClient(SECRET, base_url=BASE, session=session) as jw:
            await jw.media.get("Site1234", "Media123")
        assert not session.closed


async def test_the_client_opens_lazily_without_async_with(
    mocked: aioresponses,
) -> None:
    mocked.get(MEDIA, payload={"id": "Media123"})
    jw = JWPlatformClient(SECRET, base_url=BASE)
    try:
        assert (await jw.media.get("Site1234", "Media123"))["id"] == "Media123"
    finally:
        await jw.aclose()


# -- the secret never leaks --------------------------------------------------------


async def test_the_secret_appears_in_no_log_error_repr_or_traceback(
    mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    planted = "PLANTED-" + os.urandom(8).hex()
    texts: list[str] = []
    url = f"{BASE}/v2/sites/Site1234/media/"
    mocked.get(MEDIA, status=502, body=b"<html>bad gateway</html>", repeat=True)
    mocked.post(url, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    mocked.delete(MEDIA, status=429, payload={"errors": []}, repeat=True)
    mocked.patch(MEDIA, status=200, body=b"not json")
    with caplog.at_level(logging.DEBUG):
        async with JWPlatformClient(
            planted, base_url=BASE, rate_limit=RateLimit(1000, 1.0), retry=FAST
        ) as jw:
            texts += [repr(jw), str(jw), repr(jw.budget), repr(jw._open())]
            for call in (
                jw.media.get("Site1234", "Media123"),
                jw.media.create("Site1234", {}),
                jw.media.delete("Site1234", "Media123"),
                jw.media.update("Site1234", "Media123", {}),
            ):
                with pytest.raises(jwasync.JWPlatformError) as info:
                    await call
                texts.append(str(info.value))
                texts.append(repr(info.value))
                texts.append("".join(traceback.format_exception(info.value)))
                # As error trackers and `pytest --showlocals` print it, from the
                # library's frames on (this test's own locals hold the secret).
                error = info.value
                assert error.__traceback__ is not None
                with_locals = traceback.TracebackException(
                    type(error),
                    error,
                    error.__traceback__.tb_next,
                    capture_locals=True,
                )
                texts.append("".join(with_locals.format()))
                texts.append(repr(vars(info.value)))
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert caplog.records, "the calls above should have logged"
    for text in texts:
        assert planted not in text
        assert not re.search(r"Bearer\s+\S", text)
