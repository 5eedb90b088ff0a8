"""No secret leaks: the API secret, upload tokens and presigned URLs stay out of
every log record, exception text, traceback and repr, whatever goes wrong."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from jwasync import JWPlatformClient, JWPlatformError
from jwasync._upload_transfer import PartRetry, Sender
from jwasync._uploads import UploadState, media_uploads
from jwasync.testing import FakeJWPlatform

SITE = "Abc12345"
PLANTED = "sk_live_PLANTED_SECRET_0xDEADBEEF"
PART = 1024
FAST = PartRetry(max_attempts=2, backoff_base=0.001, read_timeout=0.3)
# The fake is the server side of the wire: it must see the URL. Everything on the
# client side (jwasync, aiohttp's client, asyncio) is searched.
SERVER_LOGGERS = ("jwasync.testing", "aiohttp.access", "aiohttp.server", "aiohttp.web")


@pytest.fixture
async def fake() -> AsyncIterator[FakeJWPlatform]:
    async with FakeJWPlatform(tokens=(PLANTED,), min_part_size=PART) as server:
        yield server


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


async def test_nothing_secret_reaches_logs_errors_or_reprs(
    fake: FakeJWPlatform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    texts: list[str] = []
    path = tmp_path / "clip.bin"
    path.write_bytes(bytes(range(256)) * 24)  # 6 parts
    state_file = tmp_path / "state.json"

    async with JWPlatformClient(PLANTED, base_url=fake.url, rate_limit=None) as jw:
        uploads = media_uploads(jw)
        texts.append(repr(jw))

        # Retried failures of every kind, then one that never recovers.
        fake.fail_part(None, 2, times=1, status=503)
        fake.reset_part(None, 3, times=1)
        fake.stall_part(None, 4, seconds=5, times=1)
        fake.fail_part(None, 5, times=2, status=500)
        with pytest.raises(JWPlatformError) as caught:
            await uploads.upload(
                SITE,
                path,
                method="multipart",
                part_size=PART,
                state_file=state_file,
                retry=FAST,
            )
        errors.append(caught.value)
        state = UploadState.load(state_file)
        texts.append(repr(state))
        listing = await jw._call(
            "GET",
            f"/v2/uploads/{state.upload_id}/parts",
            params={"page": 1, "page_length": 6},
            token=state.upload_token,
        )
        links = [p["upload_link"] for p in listing["parts"]]

        # A direct upload refused for good, and one whose link is unreachable.
        fake.fail_part(None, 1, times=1, status=403)
        with pytest.raises(JWPlatformError) as caught:
            await uploads.upload(SITE, path, retry=FAST)
        errors.append(caught.value)

        sender = Sender(jw._http_session(), FAST, user_agent="t")
        texts.append(repr(sender))
        dead = URL(
            f"http://127.0.0.1:{closed_port()}/_s3/parts/x/1"
            f"?X-Amz-Signature=SIG{PLANTED}",
            encoded=True,
        )
        with pytest.raises(JWPlatformError) as caught:
            await sender.put_part(dead, 1, b"data")
        errors.append(caught.value)

    signatures = [
        parse_qs(urlsplit(link).query)["X-Amz-Signature"][0] for link in links
    ]
    forbidden = [PLANTED, state.upload_token, "X-Amz-", "/_s3/", *signatures]
    texts += [full_text(e) for e in errors]
    records = [r for r in caplog.records if not r.name.startswith(SERVER_LOGGERS)]
    assert records, "the upload should have logged its retries"
    for record in records:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += full_text(record.exc_info[1])
        texts.append(message)
    for text in texts:
        for secret in forbidden:
            assert secret not in text, (secret, text)
    assert any("part 2" in r.getMessage() for r in records)  # named by number


async def test_aiohttp_errors_are_not_chained(fake: FakeJWPlatform) -> None:
    async with aiohttp.ClientSession() as session:
        sender = Sender(session, FAST, user_agent="t")
        dead = URL(f"http://127.0.0.1:{closed_port()}/p?X-Amz-Signature=zz")
        with pytest.raises(JWPlatformError) as caught:
            await sender.put_part(dead, 7, b"data")
    error = caught.value
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert "part 7" in str(error)
    assert "127.0.0.1" not in full_text(error)
