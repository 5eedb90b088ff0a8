"""End-to-end uploads through the fake, over real loopback sockets."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from jwasync import (
    IntegrityError,
    InvalidIdError,
    JWPlatformClient,
    PartUploadError,
    UploadError,
)
from jwasync._upload_source import _PathSource
from jwasync._uploads import (
    MediaUploads,
    PartRetry,
    UploadMethod,
    UploadState,
    media_uploads,
)
from jwasync.testing import FakeJWPlatform

SITE = "Abc12345"
SECRET = "fake-secret"
PART = 1024
FAST = PartRetry(max_attempts=3, backoff_base=0.001, backoff_max=0.01)


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
async def fake() -> AsyncIterator[FakeJWPlatform]:
    async with FakeJWPlatform(tokens=(SECRET,), min_part_size=PART) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def jw(
    fake: FakeJWPlatform, sleeps: list[float]
) -> AsyncIterator[JWPlatformClient]:
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as client:

        async def record(seconds: float) -> None:
            sleeps.append(seconds)
            await asyncio.sleep(0)

        client._sleep = record
        yield client


@pytest.fixture
def uploads(jw: JWPlatformClient) -> MediaUploads:
    return media_uploads(jw)


def write(tmp_path: Path, data: bytes, name: str = "video.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def put_counts(fake: FakeJWPlatform, media_id: str, parts: int) -> dict[int, int]:
    return {n: fake.part_put_count(media_id, n) for n in range(1, parts + 1)}


def api_calls(fake: FakeJWPlatform) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.requests if not p.startswith("/_s3/")]


# -- multipart ---------------------------------------------------------------------


async def test_multipart_uploads_every_part_once_and_assembles_the_file(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    data = payload(11 * PART + 300)
    seen: list[tuple[int, int]] = []
    media = await uploads.upload(
        SITE,
        write(tmp_path, data),
        metadata={"title": "clip"},
        method="multipart",
        part_size=PART,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert put_counts(fake, media["id"], 12) == dict.fromkeys(range(1, 13), 1)
    assert media["metadata"]["title"] == "clip"
    assert "upload_token" not in media
    assert "upload_link" not in media
    assert seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    methods = [m for m, _ in api_calls(fake)]
    assert methods == ["POST", "GET", "PUT"]  # create, one page of parts, complete


async def test_auto_picks_multipart_above_the_threshold(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    data = payload(4 * PART)
    media = await uploads.upload(
        SITE, write(tmp_path, data), part_size=PART, multipart_threshold=3 * PART
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert fake.part_put_count(media["id"]) == 4


async def test_parts_are_read_one_window_at_a_time(
    fake: FakeJWPlatform,
    uploads: MediaUploads,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    original = _PathSource._pread_into

    def spy(self: _PathSource, buffer: bytearray, offset: int) -> int:
        reads.append(len(buffer))
        return original(self, buffer, offset)

    monkeypatch.setattr(_PathSource, "_pread_into", spy)
    data = payload(9 * PART)
    media = await uploads.upload(
        SITE, write(tmp_path, data), method="multipart", part_size=PART
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert reads == [PART] * 9  # never the whole file at once


async def test_parts_are_sent_concurrently(tmp_path: Path) -> None:
    data = payload(8 * PART)
    path = write(tmp_path, data)
    async with (
        FakeJWPlatform(tokens=(SECRET,), min_part_size=PART, part_latency=0.2) as fake,
        JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as jw,
    ):
        started = time.monotonic()
        media = await media_uploads(jw).upload(
            SITE, path, method="multipart", part_size=PART, concurrency=4
        )
        elapsed = time.monotonic() - started
    assert fake.uploaded_bytes(media["id"]) == data
    assert elapsed < 1.2  # one at a time would take 8 x 0.2 s


async def test_failing_parts_are_retried_alone_with_backoff(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path, sleeps: list[float]
) -> None:
    data = payload(6 * PART)
    fake.fail_part(None, 2, times=2, status=503)
    fake.fail_part(None, 5, times=1, status=500)
    retry = PartRetry(max_attempts=4, backoff_base=0.1, backoff_max=1.0)
    media = await uploads.upload(
        SITE, write(tmp_path, data), method="multipart", part_size=PART, retry=retry
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert put_counts(fake, media["id"], 6) == {1: 1, 2: 3, 3: 1, 4: 1, 5: 2, 6: 1}
    assert len(sleeps) == 3
    assert all(0.05 <= s <= 0.2 for s in sleeps)  # first and second backoffs


async def test_a_connection_reset_mid_part_is_retried(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    data = payload(5 * PART)
    fake.reset_part(None, 3, times=1)
    media = await uploads.upload(
        SITE, write(tmp_path, data), method="multipart", part_size=PART, retry=FAST
    )
    assert fake.uploaded_bytes(media["id"]) == data
    # Exactly two: aiohttp's own silent replay is disabled, every attempt is ours.
    assert fake.part_put_count(media["id"], 3) == 2


async def test_a_stalled_part_times_out_and_is_retried(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    data = payload(4 * PART)
    fake.stall_part(None, 2, seconds=30, times=1)
    retry = PartRetry(max_attempts=3, backoff_base=0.001, read_timeout=0.3)
    media = await uploads.upload(
        SITE, write(tmp_path, data), method="multipart", part_size=PART, retry=retry
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert fake.part_put_count(media["id"], 2) == 2


async def test_a_part_failing_every_attempt_raises_part_upload_error(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    fake.fail_part(None, 3, times=3, status=500)
    with pytest.raises(PartUploadError) as caught:
        await uploads.upload(
            SITE,
            write(tmp_path, payload(5 * PART)),
            method="multipart",
            part_size=PART,
            concurrency=1,
            retry=FAST,
        )
    assert caught.value.part == 3
    assert caught.value.status == 500
    assert "after 3 attempts" in str(caught.value)
    assert fake.part_put_count(None, 3) == 3
    assert fake.part_put_count(None, 4) == 0  # concurrency 1: nothing after it left


async def test_a_refused_part_is_not_retried(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    fake.fail_part(None, 2, times=1, status=403)
    with pytest.raises(PartUploadError) as caught:
        await uploads.upload(
            SITE,
            write(tmp_path, payload(3 * PART)),
            method="multipart",
            part_size=PART,
            retry=FAST,
        )
    assert (caught.value.part, caught.value.status) == (2, 403)
    assert fake.part_put_count(None, 2) == 1


# -- resume ------------------------------------------------------------------------


async def _fail_midway(
    fake: FakeJWPlatform, path: Path, state_file: Path, fail_at: int
) -> None:
    """Run an upload in its own client that dies at part ``fail_at``."""
    fake.fail_part(None, fail_at, times=FAST.max_attempts, status=500)
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as first:
        with pytest.raises(PartUploadError):
            await media_uploads(first).upload(
                SITE,
                path,
                method="multipart",
                part_size=PART,
                concurrency=1,
                state_file=state_file,
                retry=FAST,
            )


async def test_a_new_client_resumes_from_the_state_file_sending_only_missing_parts(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    data = payload(8 * PART + 17)
    path = write(tmp_path, data)
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=4)

    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    saved = json.loads(state_file.read_text())
    assert sorted(saved["parts"]) == ["1", "2", "3"]
    assert saved["upload_token"]  # the reason for 0600
    media_id = saved["media_id"]
    before = put_counts(fake, media_id, 9)
    assert before == {1: 1, 2: 1, 3: 1, 4: 3, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0}

    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as second:
        media = await media_uploads(second).upload(
            SITE, path, state_file=state_file, retry=FAST
        )

    assert media["id"] == media_id  # the same media item, not a new one
    assert fake.uploaded_bytes(media_id) == data
    after = put_counts(fake, media_id, 9)
    assert after == {1: 1, 2: 1, 3: 1, 4: 4, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}
    assert not state_file.exists()  # done: the token is gone from disk


async def test_a_cancelled_concurrent_upload_resumes_where_the_server_stands(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    parts = 10
    data = payload(parts * PART)
    path = write(tmp_path, data)
    state_file = tmp_path / "upload.json"
    fake.stall_part(None, 6, seconds=30, times=1)
    enough = asyncio.Event()

    def progress(done: int, total: int) -> None:
        if done >= 4 * PART:
            enough.set()

    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as first:
        task = asyncio.create_task(
            media_uploads(first).upload(
                SITE,
                path,
                method="multipart",
                part_size=PART,
                concurrency=3,
                state_file=state_file,
                progress=progress,
            )
        )
        await asyncio.wait_for(enough.wait(), timeout=10)
        for _ in range(500):  # until part 6 has reached the server and stalls there
            if fake.part_put_count(None, 6):
                break
            await asyncio.sleep(0.01)
        assert fake.part_put_count(None, 6) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    state = UploadState.load(state_file)
    assert 4 <= len(state.parts) < parts
    assert 6 not in state.parts
    before = put_counts(fake, state.media_id, parts)
    # What the server holds decides what is sent again (it may hold a part whose
    # answer the cancelled client never saw).
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as second:
        listing = await second._call(
            "GET",
            f"/v2/uploads/{state.upload_id}/parts",
            params={"page": 1, "page_length": parts},
            token=state.upload_token,
        )
        held = {p["id"] for p in listing["parts"] if "etag" in p}
        await media_uploads(second).upload(SITE, path, state_file=state_file)

    after = put_counts(fake, state.media_id, parts)
    for n in range(1, parts + 1):
        assert after[n] == before[n] + (0 if n in held else 1), n
    assert fake.uploaded_bytes(state.media_id) == data


async def test_resume_refuses_a_file_whose_bytes_changed(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    data = payload(6 * PART)
    path = write(tmp_path, data)
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=3)
    changed = bytearray(data)
    changed[10] ^= 0xFF  # inside part 1, which the server already holds
    path.write_bytes(bytes(changed))
    puts = fake.part_put_count()

    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as jw:
        with pytest.raises(IntegrityError) as caught:
            await media_uploads(jw).upload(SITE, path, state_file=state_file)
    assert caught.value.part == 1
    assert fake.part_put_count() == puts  # nothing sent over the server's bytes
    assert state_file.exists()


async def test_verify_hashes_held_parts_even_when_the_file_looks_unchanged(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    data = payload(6 * PART)
    path = write(tmp_path, data)
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=3)
    info = path.stat()
    changed = bytearray(data)
    changed[PART + 5] ^= 0xFF  # part 2
    path.write_bytes(bytes(changed))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # hide the change

    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as jw:
        with pytest.raises(IntegrityError) as caught:
            await media_uploads(jw).upload(
                SITE, path, state_file=state_file, verify=True
            )
    assert caught.value.part == 2


async def test_a_saved_checksum_that_disagrees_with_the_server_is_an_integrity_error(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    path = write(tmp_path, payload(5 * PART))
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=3)
    state = UploadState.load(state_file)
    state.parts[2] = "0" * 32
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as jw:
        with pytest.raises(IntegrityError) as caught:
            await media_uploads(jw).upload(SITE, path, resume=state)
    assert caught.value.part == 2


async def test_an_unchanged_file_resumes_without_rereading_held_parts(
    fake: FakeJWPlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(6 * PART)
    path = write(tmp_path, data)
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=4)
    offsets: list[int] = []
    original = _PathSource._pread_into

    def spy(self: _PathSource, buffer: bytearray, offset: int) -> int:
        offsets.append(offset)
        return original(self, buffer, offset)

    monkeypatch.setattr(_PathSource, "_pread_into", spy)
    async with JWPlatformClient(SECRET, base_url=fake.url, rate_limit=None) as jw:
        media = await media_uploads(jw).upload(SITE, path, state_file=state_file)
    assert offsets == [3 * PART, 4 * PART, 5 * PART]
    assert fake.uploaded_bytes(media["id"]) == data


async def test_a_state_for_another_file_is_refused_before_any_request(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    path = write(tmp_path, payload(5 * PART))
    state_file = tmp_path / "upload.json"
    await _fail_midway(fake, path, state_file, fail_at=2)
    other = write(tmp_path, payload(7 * PART), "other.bin")
    calls = len(fake.requests)
    with pytest.raises(ValueError, match="another file"):
        await uploads.upload(SITE, other, state_file=state_file)
    with pytest.raises(ValueError, match="belongs to site"):
        await uploads.upload("Zzz99999", path, state_file=state_file)
    with pytest.raises(ValueError, match="cannot be resumed"):
        await uploads.upload(SITE, path, state_file=state_file, method="direct")
    with pytest.raises(ValueError, match="is for media"):
        await uploads.upload(SITE, path, state_file=state_file, media_id="Other123")
    assert len(fake.requests) == calls


# -- direct ------------------------------------------------------------------------


class WireLog:
    """Headers aiohttp actually wrote, per request, via a trace config."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_headers_sent.append(self._record)

    async def _record(self, session: Any, context: Any, params: Any) -> None:
        self.sent.append((params.method, params.url.path, dict(params.headers)))

    def presigned(self) -> list[dict[str, str]]:
        return [h for _, path, h in self.sent if path.startswith("/_s3/")]


@pytest.fixture
async def wire(fake: FakeJWPlatform) -> AsyncIterator[tuple[MediaUploads, WireLog]]:
    log = WireLog()
    async with (
        aiohttp.ClientSession(trace_configs=[log.config]) as session,
        JWPlatformClient(
            SECRET, base_url=fake.url, rate_limit=None, session=session
        ) as jw,
    ):
        yield media_uploads(jw), log


async def test_direct_upload_sends_no_content_type_when_none_was_given(
    fake: FakeJWPlatform, wire: tuple[MediaUploads, WireLog], tmp_path: Path
) -> None:
    uploads, log = wire
    data = payload(3000)
    media = await uploads.upload(SITE, write(tmp_path, data))
    assert fake.uploaded_bytes(media["id"]) == data
    (headers,) = log.presigned()
    names = {k.lower() for k in headers}
    assert "content-type" not in names
    assert "authorization" not in names
    assert headers["Content-Length"] == "3000"
    assert "upload_link" not in media


async def test_direct_upload_sends_the_mime_type_given_at_create(
    fake: FakeJWPlatform, wire: tuple[MediaUploads, WireLog], tmp_path: Path
) -> None:
    uploads, log = wire
    data = payload(2000)
    media = await uploads.upload(SITE, write(tmp_path, data), mime_type="video/mp4")
    assert fake.uploaded_bytes(media["id"]) == data
    (headers,) = log.presigned()
    assert headers["Content-Type"] == "video/mp4"
    assert "Authorization" not in headers


async def test_multipart_part_puts_carry_no_credentials_or_content_type(
    fake: FakeJWPlatform, wire: tuple[MediaUploads, WireLog], tmp_path: Path
) -> None:
    uploads, log = wire
    data = payload(4 * PART)
    media = await uploads.upload(
        SITE, write(tmp_path, data), method="multipart", part_size=PART
    )
    assert fake.uploaded_bytes(media["id"]) == data
    presigned = log.presigned()
    assert len(presigned) == 4
    for headers in presigned:
        names = {k.lower() for k in headers}
        assert not names & {"authorization", "content-type", "cookie"}
        assert SECRET not in " ".join(headers.values())
    api = [h for _, path, h in log.sent if path.startswith("/v2/")]
    assert api[0]["Authorization"] == f"Bearer {SECRET}"  # create: the API secret
    assert all(h["Authorization"] != f"Bearer {SECRET}" for h in api[1:])  # token


async def test_a_session_that_sends_credentials_by_default_is_refused(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    path = write(tmp_path, payload(100))
    async with (
        aiohttp.ClientSession(headers={"Authorization": "Bearer x"}) as session,
        JWPlatformClient(
            SECRET, base_url=fake.url, rate_limit=None, session=session
        ) as jw,
    ):
        with pytest.raises(ValueError, match="default Authorization"):
            await media_uploads(jw).upload(SITE, path)
    assert fake.requests == []


async def test_direct_upload_is_retried_from_the_start(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    data = payload(5000)
    fake.fail_part(None, 1, times=1, status=503)
    seen: list[int] = []
    media = await uploads.upload(
        SITE,
        write(tmp_path, data),
        retry=FAST,
        progress=lambda done, total: seen.append(done),
    )
    assert fake.uploaded_bytes(media["id"]) == data
    assert fake.part_put_count(media["id"], 1) == 2
    assert seen[-1] == 5000
    assert 0 in seen  # progress rewound for the second attempt


async def test_direct_upload_streams_the_file(
    fake: FakeJWPlatform,
    uploads: MediaUploads,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    original = _PathSource._pread_into

    def spy(self: _PathSource, buffer: bytearray, offset: int) -> int:
        reads.append(len(buffer))
        return original(self, buffer, offset)

    monkeypatch.setattr(_PathSource, "_pread_into", spy)
    data = payload(3 * 1024 * 1024 + 5)
    media = await uploads.upload(SITE, write(tmp_path, data))
    assert fake.uploaded_bytes(media["id"]) == data
    assert max(reads) <= 1024 * 1024
    assert len(reads) == 4


# -- streams -----------------------------------------------------------------------


class Pipe:
    """A forward-only sync stream, like a pipe: no seek, no tell, short reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(min(size, 700) if size > 0 else size)


class AsyncPipe:
    """An async forward-only stream."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    async def read(self, size: int = -1, /) -> bytes:
        await asyncio.sleep(0)
        return self._data.read(min(size, 900) if size > 0 else size)


@pytest.mark.parametrize("kind", ["bytesio", "pipe", "async"])
@pytest.mark.parametrize("method", ["direct", "multipart"])
async def test_streams_upload_with_known_size(
    fake: FakeJWPlatform, uploads: MediaUploads, kind: str, method: UploadMethod
) -> None:
    data = payload(5 * PART + 99)
    source: Any = {"bytesio": io.BytesIO, "pipe": Pipe, "async": AsyncPipe}[kind](data)
    size = None if kind == "bytesio" else len(data)
    media = await uploads.upload(
        SITE,
        source,
        size=size,
        method=method,
        part_size=PART,
        concurrency=3,
    )
    assert fake.uploaded_bytes(media["id"]) == data


async def test_a_forward_only_stream_is_not_retried_for_a_direct_upload(
    fake: FakeJWPlatform, uploads: MediaUploads
) -> None:
    fake.fail_part(None, 1, times=1, status=503)
    with pytest.raises(PartUploadError, match="cannot be read again"):
        await uploads.upload(SITE, Pipe(b"x" * 500), size=500, retry=FAST)
    assert fake.part_put_count(None, 1) == 1


async def test_a_forward_only_stream_retries_parts_from_memory(
    fake: FakeJWPlatform, uploads: MediaUploads
) -> None:
    data = payload(4 * PART)
    fake.fail_part(None, 2, times=1, status=500)
    media = await uploads.upload(
        SITE,
        AsyncPipe(data),
        size=len(data),
        method="multipart",
        part_size=PART,
        retry=FAST,
    )
    assert fake.uploaded_bytes(media["id"]) == data


async def test_a_stream_shorter_than_its_size_is_an_upload_error(
    fake: FakeJWPlatform, uploads: MediaUploads
) -> None:
    with pytest.raises(UploadError, match="ended after"):
        await uploads.upload(
            SITE,
            AsyncPipe(b"y" * 3000),
            size=4 * PART,
            method="multipart",
            part_size=PART,
        )


# -- fetch, external, reupload -------------------------------------------------------


async def test_fetch_creates_media_from_a_download_url(
    fake: FakeJWPlatform, uploads: MediaUploads
) -> None:
    url = f"{fake.url}/files/clip.mp4"  # never fetched: the fake only records it
    media = await uploads.upload(
        SITE, url, method="fetch", metadata={"title": "fetched"}
    )
    stored = fake.get_object(SITE, "media", media["id"])
    assert stored is not None
    assert stored["status"] == "processing"
    assert stored["metadata"]["title"] == "fetched"
    assert fake.part_put_count() == 0


async def test_external_registers_a_source_url(
    fake: FakeJWPlatform, uploads: MediaUploads
) -> None:
    url = f"{fake.url}/live/master.m3u8"
    media = await uploads.upload(
        SITE, url, method="external", mime_type="application/vnd.apple.mpegurl"
    )
    stored = fake.get_object(SITE, "media", media["id"])
    assert stored is not None
    assert stored["hosting_type"] == "external"
    assert stored["source_url"] == url


@pytest.mark.parametrize("method", ["direct", "multipart"])
async def test_reupload_replaces_the_file_of_an_existing_media(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path, method: UploadMethod
) -> None:
    first = await uploads.upload(SITE, write(tmp_path, payload(2000, seed=1), "a"))
    second_data = payload(3 * PART + 1, seed=2)
    media = await uploads.upload(
        SITE,
        write(tmp_path, second_data, "b"),
        media_id=first["id"],
        method=method,
        part_size=PART,
    )
    assert media["id"] == first["id"]
    assert fake.uploaded_bytes(first["id"]) == second_data
    reuploads = [p for m, p in api_calls(fake) if m == "PUT" and "reupload" in p]
    assert reuploads == [f"/v2/sites/{SITE}/media/{first['id']}/reupload/"]


# -- misuse ------------------------------------------------------------------------


async def test_misuse_is_refused_before_any_request(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    good = write(tmp_path, payload(100))
    empty = write(tmp_path, b"", "empty.bin")
    many = write(tmp_path, payload(10_001), "many.bin")  # 10,001 one-byte parts
    cases: list[tuple[type[Exception], dict[str, Any]]] = [
        (ValueError, {"source": tmp_path / "missing.mp4"}),
        (ValueError, {"source": tmp_path}),
        (ValueError, {"source": empty}),
        (TypeError, {"source": b"raw bytes"}),
        (TypeError, {"source": AsyncPipe(b"abc")}),
        (TypeError, {"source": Pipe(b"abc")}),
        (TypeError, {"source": 42}),
        (ValueError, {"source": io.BytesIO(b"abc"), "size": 10}),
        (ValueError, {"source": good, "size": 99}),
        (ValueError, {"source": good, "method": "ftp"}),
        (ValueError, {"source": "https://cdn.invalid/a.mp4"}),
        (ValueError, {"source": str(good), "method": "fetch"}),
        (ValueError, {"source": good, "concurrency": 0}),
        (TypeError, {"source": good, "concurrency": 2.5}),
        (ValueError, {"source": good, "part_size": 0}),
        (ValueError, {"source": many, "method": "multipart", "part_size": 1}),
        (ValueError, {"source": good, "media_id": "Ny05CEfj", "metadata": {"t": 1}}),
        (ValueError, {"source": good, "upload_fields": {"method": "direct"}}),
        (InvalidIdError, {"source": good, "media_id": "../x"}),
        (TypeError, {"source": good, "retry": {"max_attempts": 2}}),
        (TypeError, {"source": good, "metadata": ["title"]}),
    ]
    for error, kwargs in cases:
        with pytest.raises(error):
            await uploads.upload(SITE, **kwargs)
    with pytest.raises(InvalidIdError):
        await uploads.upload("not a site", good)
    assert fake.requests == []


async def test_part_size_grows_to_stay_under_ten_thousand_parts() -> None:
    from jwasync._uploads import DEFAULT_PART_SIZE, _part_size_for

    assert _part_size_for(10 * 2**20, None) == DEFAULT_PART_SIZE
    big = 100 * 2**30
    chosen = _part_size_for(big, None)
    assert -(-big // chosen) <= 10_000
    assert chosen % DEFAULT_PART_SIZE == 0


async def test_state_is_handed_to_on_state_without_showing_the_token(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    seen: list[UploadState] = []
    media = await uploads.upload(
        SITE,
        write(tmp_path, payload(3 * PART)),
        method="multipart",
        part_size=PART,
        on_state=seen.append,
    )
    assert seen
    state = seen[-1]
    assert state.media_id == media["id"]
    assert sorted(state.parts) == [1, 2, 3]
    assert state.upload_token not in repr(state)


async def test_upload_fields_reach_the_create_call(
    fake: FakeJWPlatform, uploads: MediaUploads, tmp_path: Path
) -> None:
    media = await uploads.upload(
        SITE,
        write(tmp_path, payload(500)),
        upload_fields={"trim_in_point": "00:00:01.000"},
    )
    stored = fake.get_object(SITE, "media", media["id"])
    assert stored is not None
    assert stored["trim_in_point"] == "00:00:01.000"
