"""End-to-end tests of the fake's upload flows, presigned-PUT rules and faults."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from jwasync.testing import FakeJWPlatform

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEDIA = "/v2/sites/Site0001/media/"
PART = 1024
NO_CT = ("Content-Type",)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
async def fake() -> AsyncIterator[FakeJWPlatform]:
    async with FakeJWPlatform(
        tokens=(TOKEN,), limit=10_000, min_part_size=PART
    ) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def create(
    http: aiohttp.ClientSession, fake: FakeJWPlatform, upload: dict[str, Any]
) -> tuple[int, Any]:
    body = {"upload": upload, "metadata": {"title": "up"}}
    async with http.post(fake.url + MEDIA, json=body, headers=AUTH) as resp:
        return resp.status, await resp.json()


async def put(
    http: aiohttp.ClientSession, link: str, data: bytes | io.BytesIO, **kw: Any
) -> tuple[int, str, str]:
    kw.setdefault("skip_auto_headers", NO_CT)
    async with http.put(link, data=data, **kw) as resp:
        return resp.status, resp.headers.get("ETag", ""), await resp.text()


async def media_status(
    http: aiohttp.ClientSession, fake: FakeJWPlatform, mid: str
) -> str:
    async with http.get(f"{fake.url}{MEDIA}{mid}/", headers=AUTH) as resp:
        status: str = (await resp.json())["status"]
        return status


async def parts_page(
    http: aiohttp.ClientSession,
    fake: FakeJWPlatform,
    created: dict[str, Any],
    page: int,
    length: int,
) -> Any:
    url = f"{fake.url}/v2/uploads/{created['upload_id']}/parts"
    headers = {"Authorization": f"Bearer {created['upload_token']}"}
    params = {"page": page, "page_length": length}
    async with http.get(url, headers=headers, params=params) as resp:
        assert resp.status == 200
        return await resp.json()


async def complete(
    http: aiohttp.ClientSession, fake: FakeJWPlatform, created: dict[str, Any]
) -> tuple[int, Any]:
    url = f"{fake.url}/v2/uploads/{created['upload_id']}/complete"
    headers = {"Authorization": f"Bearer {created['upload_token']}"}
    async with http.put(url, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_direct_upload_with_mime_type(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    status, created = await create(
        http, fake, {"method": "direct", "mime_type": "video/mp4"}
    )
    assert status == 201
    assert created["status"] == "created"
    link = created["upload_link"]
    assert link.startswith(fake.url + "/_s3/direct/")
    assert "X-Amz-Signature=" in link
    data = b"movie-bytes" * 100

    for headers in ({}, {"Content-Type": "video/quicktime"}):
        status, _, text = await put(http, link, data, headers=headers)
        assert status == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in text

    status, etag, _ = await put(
        http, link, data, headers={"Content-Type": "video/mp4"}, skip_auto_headers=()
    )
    assert status == 200
    assert etag == f'"{md5(data)}"'
    assert fake.uploaded_bytes(created["id"]) == data
    assert await media_status(http, fake, created["id"]) == "ready"
    assert fake.part_put_count(created["id"]) == 3


async def test_direct_upload_without_mime_type_needs_no_content_type(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "direct"})
    link = created["upload_link"]
    # aiohttp adds application/octet-stream unless told not to.
    status, _, _ = await put(http, link, b"abc", skip_auto_headers=())
    assert status == 403
    assert fake.uploaded_bytes(created["id"]) is None
    status, _, _ = await put(http, link, b"abc")
    assert status == 200
    assert fake.uploaded_bytes(created["id"]) == b"abc"


async def test_presigned_put_refuses_authorization_and_bad_signatures(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "direct"})
    link = created["upload_link"]
    status, _, text = await put(http, link, b"x", headers=AUTH)
    assert (status, "<Code>AccessDenied</Code>" in text) == (403, True)
    tampered = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    status, _, text = await put(http, tampered, b"x")
    assert (status, "SignatureDoesNotMatch" in text) == (403, True)
    status, _, _ = await put(
        http, fake.url + "/_s3/direct/unknown?X-Amz-Signature=1", b"x"
    )
    assert status == 404
    assert fake.uploaded_bytes(created["id"]) is None


async def test_multipart_upload_lists_puts_and_completes(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    status, created = await create(http, fake, {"method": "multipart"})
    assert status == 201
    assert set(created) >= {"upload_id", "upload_token", "id"}
    source = bytes(range(256)) * 9  # 2304 bytes: parts of 1024, 1024, 256
    chunks = [source[i : i + PART] for i in range(0, len(source), PART)]

    first = await parts_page(http, fake, created, 1, 2)
    second = await parts_page(http, fake, created, 2, 2)
    assert [p["id"] for p in first["parts"]] == [1, 2]
    assert [p["id"] for p in second["parts"]] == [3, 4]
    assert first["total"] == 10_000
    assert all("etag" not in p for p in first["parts"])
    links = [p["upload_link"] for p in first["parts"] + second["parts"]]

    for link, chunk in zip(links, chunks, strict=False):
        status, etag, _ = await put(http, link, chunk)
        assert (status, etag) == (200, f'"{md5(chunk)}"')

    again = await parts_page(http, fake, created, 1, 4)
    assert [p.get("etag") for p in again["parts"]] == [md5(c) for c in chunks] + [None]
    assert await complete(http, fake, created) == (202, {})
    assert await complete(http, fake, created) == (202, {})
    assert fake.uploaded_bytes(created["id"]) == source
    assert await media_status(http, fake, created["id"]) == "ready"
    status, _, text = await put(http, links[0], chunks[0])
    assert (status, "NoSuchUpload" in text) == (404, True)


async def test_multipart_complete_checks_parts(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "multipart"})
    assert (await complete(http, fake, created))[1]["errors"][0]["code"] == (
        "upload_incomplete"
    )
    links = [
        p["upload_link"] for p in (await parts_page(http, fake, created, 1, 3))["parts"]
    ]
    await put(http, links[0], b"a" * 10)
    await put(http, links[2], b"c" * 10)
    status, body = await complete(http, fake, created)
    assert (status, body["errors"][0]["code"]) == (400, "upload_incomplete")
    await put(http, links[1], b"b" * PART)
    status, body = await complete(http, fake, created)
    assert (status, body["errors"][0]["code"]) == (400, "part_too_small")
    await put(http, links[0], b"a" * PART)
    assert await complete(http, fake, created) == (202, {})
    assert fake.uploaded_bytes(created["id"]) == b"a" * PART + b"b" * PART + b"c" * 10


async def test_upload_routes_take_only_their_upload_token(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, one = await create(http, fake, {"method": "multipart"})
    _, two = await create(http, fake, {"method": "multipart"})
    url = f"{fake.url}/v2/uploads/{one['upload_id']}/parts/"
    for token in (TOKEN, two["upload_token"], "nope"):
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 401
            assert "jw-request-remaining" not in resp.headers
    async with http.get(
        f"{fake.url}{MEDIA}", headers={"Authorization": f"Bearer {one['upload_token']}"}
    ) as resp:
        assert resp.status == 401
    before = fake.stats_for(TOKEN).accepted
    await parts_page(http, fake, one, 1, 5)
    assert fake.stats_for(TOKEN).accepted == before


async def test_upload_token_budget_is_opt_in() -> None:
    async with (
        FakeJWPlatform(tokens=(TOKEN,), upload_limit=(2, 60.0)) as fake,
        aiohttp.ClientSession() as http,
    ):
        _, created = await create(http, fake, {"method": "multipart"})
        url = f"{fake.url}/v2/uploads/{created['upload_id']}/parts"
        headers = {"Authorization": f"Bearer {created['upload_token']}"}
        seen = []
        for _ in range(3):
            async with http.get(url, headers=headers) as resp:
                seen.append((resp.status, resp.headers.get("jw-request-remaining")))
    assert seen == [(200, "1"), (200, "0"), (429, "0")]


async def test_fail_part_then_succeed(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "multipart"})
    link = (await parts_page(http, fake, created, 1, 1))["parts"][0]["upload_link"]
    fake.fail_part(created["upload_id"], 1, times=2, status=503)
    results = [await put(http, link, b"z" * 10) for _ in range(3)]
    assert [r[0] for r in results] == [503, 503, 200]
    assert "<Code>InternalError</Code>" in results[0][2]
    assert fake.part_put_count(created["id"], 1) == 3
    assert fake.part_put_count(created["id"], 2) == 0


async def test_fault_before_the_media_exists(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    fake.fail_part(None, 1, status=500)
    _, created = await create(http, fake, {"method": "direct"})
    assert (await put(http, created["upload_link"], b"x"))[0] == 500
    assert (await put(http, created["upload_link"], b"x"))[0] == 200
    assert fake.part_put_count() == 2


async def test_reset_part_drops_the_connection(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "multipart"})
    link = (await parts_page(http, fake, created, 1, 1))["parts"][0]["upload_link"]
    body = b"r" * (3 * 1024 * 1024)
    # aiohttp retries an idempotent PUT once by itself, so two resets reach the caller.
    fake.reset_part(created["id"], 1, times=2)
    with pytest.raises(aiohttp.ClientError):
        await put(http, link, io.BytesIO(body))
    assert fake.part_put_count(created["id"], 1) == 2
    assert (await parts_page(http, fake, created, 1, 1))["parts"][0].get("etag") is None
    status, etag, _ = await put(http, link, io.BytesIO(body))
    assert (status, etag) == (200, f'"{md5(body)}"')


async def test_stall_part_outlasts_a_client_timeout(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "direct"})
    fake.stall_part(created["id"], seconds=30.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await put(
            http, created["upload_link"], b"s", timeout=aiohttp.ClientTimeout(total=0.2)
        )
    assert loop.time() - started < 5.0
    assert fake.uploaded_bytes(created["id"]) is None
    assert (await put(http, created["upload_link"], b"s"))[0] == 200


async def test_part_latency_delays_each_put() -> None:
    async with (
        FakeJWPlatform(tokens=(TOKEN,), part_latency=0.05) as fake,
        aiohttp.ClientSession() as http,
    ):
        _, created = await create(http, fake, {"method": "direct"})
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert (await put(http, created["upload_link"], b"x"))[0] == 200
        assert loop.time() - started >= 0.05


async def test_fetch_and_external_uploads() -> None:
    async with (
        FakeJWPlatform(tokens=(TOKEN,), processing_delay=0.05) as fake,
        aiohttp.ClientSession() as http,
    ):
        status, body = await create(http, fake, {"method": "fetch"})
        assert (status, body["errors"][0]["code"]) == (400, "invalid_body")
        status, body = await create(http, fake, {"method": "external"})
        assert status == 400
        status, body = await create(http, fake, {"method": "teleport"})
        assert status == 400
        async with http.post(
            fake.url + MEDIA, json={"metadata": {}}, headers=AUTH
        ) as resp:
            assert resp.status == 400

        status, fetched = await create(
            http,
            fake,
            {"method": "fetch", "download_url": "https://example.invalid/a.mp4"},
        )
        assert (status, fetched["status"]) == (201, "processing")
        assert "upload_link" not in fetched
        assert await media_status(http, fake, fetched["id"]) == "processing"
        await asyncio.sleep(0.06)
        assert await media_status(http, fake, fetched["id"]) == "ready"

        _, external = await create(
            http,
            fake,
            {
                "method": "external",
                "source_url": "https://example.invalid/a.m3u8",
                "mime_type": "application/vnd.apple.mpegurl",
            },
        )
        assert external["status"] == "ready"
        assert external["hosting_type"] == "external"
        assert external["source_url"] == "https://example.invalid/a.m3u8"


async def test_reupload_replaces_the_file(
    http: aiohttp.ClientSession, fake: FakeJWPlatform
) -> None:
    _, created = await create(http, fake, {"method": "direct"})
    await put(http, created["upload_link"], b"first")
    url = f"{fake.url}{MEDIA}{created['id']}/reupload/"
    async with http.put(
        url, json={"upload": {"method": "multipart"}}, headers=AUTH
    ) as resp:
        assert resp.status == 200
        again = await resp.json()
    assert again["id"] == created["id"]
    assert again["status"] == "created"
    link = (await parts_page(http, fake, again, 1, 1))["parts"][0]["upload_link"]
    await put(http, link, b"second")
    assert await complete(http, fake, again) == (202, {})
    assert fake.uploaded_bytes(created["id"]) == b"second"
    async with http.put(url, json={}, headers=AUTH) as resp:
        assert resp.status == 400
