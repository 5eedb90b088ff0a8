"""PUTs to presigned upload links: outside the budget, without credentials.

A presigned link authorises exactly one request by its signature, so these PUTs:

- carry no ``Authorization`` header and no API secret (the link is enough, and
  its host is not the API's);
- send a ``Content-Type`` only when the signature covered one (the ``mime_type``
  given at create time of a direct upload); aiohttp's automatic
  ``application/octet-stream`` is suppressed;
- are verified: the response ``ETag`` must be the MD5 of the bytes sent;
- never put the link in a log record or an exception. aiohttp's exceptions can
  quote the URL, so they are replaced (``from None``) by errors naming only the
  part number and the kind of failure.

Each PUT is retried on its own with exponential backoff and jitter (tenacity), on
transport failures, 408/429/5xx and checksum mismatches.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import tenacity
from yarl import URL

from ._errors import IntegrityError, PartUploadError, UploadError

__all__ = ["PartRetry", "Sender", "check_link", "md5_hex"]

logger = logging.getLogger("jwasync._uploads")

Sleep = Callable[[float], Awaitable[None]]

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SLICE = 256 * 1024


@dataclass(frozen=True)
class PartRetry:
    """How each presigned PUT (a part, or a direct upload) is retried and timed.

    Args:
        max_attempts: Attempts per part, the first included.
        backoff_base: The first backoff in seconds; it doubles per attempt, with
            jitter between half and all of it.
        backoff_max: The cap on one backoff.
        connect_timeout: Seconds to open a connection.
        read_timeout: Seconds without a byte from the server once the body is
            sent (a stalled part is abandoned and retried after this).
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    connect_timeout: float = 30.0
    read_timeout: float = 120.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(
            self.max_attempts, int
        ):
            raise TypeError("PartRetry.max_attempts must be an int")
        if self.max_attempts < 1:
            raise ValueError("PartRetry.max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("PartRetry backoffs must not be negative")
        if not (self.connect_timeout > 0 and self.read_timeout > 0):
            raise ValueError("PartRetry timeouts must be positive")

    def wait(self, attempt: int, rng: random.Random) -> float:
        """The backoff after attempt ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + rng.random() / 2)


def md5_hex(data: bytes | bytearray | memoryview) -> str:
    """The MD5 of ``data`` in hex, as S3 returns it in an ``ETag``."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def check_link(link: object, what: str) -> URL:
    """Return a presigned link as a URL, refusing anything but http(s).

    The link is taken as already encoded, so its signature goes out byte for byte.

    Raises:
        UploadError: The API gave no usable link (the link is not quoted).
    """
    if not isinstance(link, str) or not link:
        raise UploadError(f"the API returned no upload link for {what}")
    try:
        url = URL(link, encoded=True)
    except (ValueError, TypeError):
        raise UploadError(
            f"the API returned a malformed upload link for {what}"
        ) from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise UploadError(f"the API returned a non-HTTP upload link for {what}")
    return url


def _etag(headers: Any) -> str | None:
    value = headers.get("ETag")
    if not isinstance(value, str):
        return None
    return value.strip().removeprefix("W/").strip('"').lower()


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # the bytes were damaged on the way; sending again can fix it
    if isinstance(exc, PartUploadError):
        return exc.status is None or exc.status in _RETRY_STATUSES
    return False


class Sender:
    """Sends presigned PUTs with one aiohttp session, retrying each on its own.

    Args:
        session: The aiohttp session (its default headers must not authenticate).
        retry: The per-part retry and timeout policy.
        user_agent: The ``User-Agent`` header.
        sleep: How to wait between attempts.
        rng: Source of backoff jitter.
        name: What logs and errors call the upload (``media Ny05CEfj``).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        retry: PartRetry,
        *,
        user_agent: str,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        name: str = "upload",
    ) -> None:
        if any(
            name.lower() in {"authorization", "proxy-authorization", "cookie"}
            for name in session.headers
        ):
            raise ValueError(
                "the aiohttp session sends credentials by default; presigned "
                "uploads need a session without default Authorization/Cookie headers"
            )
        self._session = session
        self._retry = retry
        self._user_agent = user_agent
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.name = name
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=retry.connect_timeout,
            sock_read=retry.read_timeout,
        )

    def __repr__(self) -> str:
        return f"<Sender {self.name} attempts={self._retry.max_attempts}>"

    async def put_part(
        self,
        link: URL,
        part: int,
        data: bytes | bytearray,
        expected: str | None = None,
    ) -> str:
        """PUT one part's bytes (no Content-Type); return its verified MD5.

        Args:
            link: The part's presigned link.
            part: The 1-based part number (for errors and logs).
            data: The part's bytes.
            expected: Their MD5 hex, if already computed.
        """
        digest = md5_hex(data) if expected is None else expected

        async def attempt() -> str:
            await self._put(link, part, _slices(data), len(data), digest, None)
            return digest

        await self._with_retries(attempt, part=part, label=f"{self.name} part {part}")
        return digest

    async def put_direct(
        self,
        link: URL,
        size: int,
        body: Callable[[], AsyncIterator[bytes | bytearray]],
        *,
        mime_type: str | None,
        on_restart: Callable[[], None],
        retryable: bool,
    ) -> None:
        """Stream a whole file to a direct-upload link and verify its MD5.

        Args:
            link: The presigned link.
            size: The exact number of bytes ``body`` yields.
            body: Returns a fresh iterator over the bytes, once per attempt.
            mime_type: The ``Content-Type`` given at create time, or None.
            on_restart: Called before a retry (to rewind progress).
            retryable: Whether the bytes can be produced again.
        """
        started = False

        async def attempt() -> None:
            nonlocal started
            if started:
                on_restart()
            started = True
            digest = hashlib.md5(usedforsecurity=False)

            async def hashed() -> AsyncIterator[bytes | bytearray]:
                async for chunk in body():
                    digest.update(chunk)
                    yield chunk

            await self._put(link, None, hashed(), size, digest, mime_type)

        if not retryable:
            await self._put_once(attempt)
            return
        await self._with_retries(attempt, part=None, label=f"{self.name} (direct)")

    async def _put_once(self, attempt: Callable[[], Awaitable[None]]) -> None:
        try:
            await attempt()
        except PartUploadError as exc:
            raise PartUploadError(
                f"{exc} (not retried: the stream cannot be read again)",
                part=exc.part,
                status=exc.status,
            ) from None

    async def _with_retries(
        self, attempt: Callable[[], Awaitable[Any]], *, part: int | None, label: str
    ) -> Any:
        def wait(state: tenacity.RetryCallState) -> float:
            return self._retry.wait(state.attempt_number, self._rng)

        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.info(
                "%s: attempt %d failed (%s); retrying in %.2fs",
                label,
                state.attempt_number,
                _describe(error),
                state.upcoming_sleep,
            )

        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self._retry.max_attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(_transient),
            before_sleep=log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except IntegrityError as exc:
            raise IntegrityError(
                f"{exc} (after {self._retry.max_attempts} attempts)", part=part
            ) from None
        except PartUploadError as exc:
            if not _transient(exc):
                raise
            raise PartUploadError(
                f"{exc} (after {self._retry.max_attempts} attempts)",
                part=part,
                status=exc.status,
            ) from None

    async def _put(
        self,
        link: URL,
        part: int | None,
        data: Any,
        size: int,
        expected: str | Any,
        mime_type: str | None,
    ) -> None:
        label = f"{self.name} " + ("(direct)" if part is None else f"part {part}")
        headers = {"Content-Length": str(size), "User-Agent": self._user_agent}
        if mime_type is not None:
            headers["Content-Type"] = mime_type
        try:
            async with self._session.put(
                link,
                data=data,
                headers=headers,
                skip_auto_headers=() if mime_type is not None else ("Content-Type",),
                allow_redirects=False,
                timeout=self._timeout,
                raise_for_status=False,
            ) as response:
                await response.read()  # S3's error XML, or nothing: drain it
                status = response.status
                etag = _etag(response.headers)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            # ``from None``: aiohttp's exceptions may quote the signed URL.
            raise PartUploadError(
                f"{label}: timed out", part=part, status=None
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise PartUploadError(
                f"{label}: connection failed ({type(exc).__name__})",
                part=part,
                status=None,
            ) from None
        if not 200 <= status < 300:
            raise PartUploadError(
                f"{label}: the upload link answered {status}", part=part, status=status
            )
        local = expected if isinstance(expected, str) else expected.hexdigest()
        if etag != local:
            problem = (
                "returned no ETag to check"
                if etag is None
                else "returned an ETag that is not the MD5 of"
            )
            raise IntegrityError(
                f"{label}: the server {problem} the bytes sent", part=part
            )
        logger.debug("%s: stored (%d bytes)", label, size)


async def _slices(data: bytes | bytearray) -> AsyncIterator[memoryview]:
    # An async iterable, not bytes: aiohttp silently re-sends a bytes body once on a
    # broken keep-alive connection; a stream it cannot replay, so every attempt is
    # ours, counted and backed off.
    view = memoryview(data)
    for start in range(0, len(view), _SLICE):
        yield view[start : start + _SLICE]


def _describe(error: BaseException | None) -> str:
    if isinstance(error, PartUploadError):
        return "no response" if error.status is None else str(error.status)
    if isinstance(error, IntegrityError):
        return "checksum mismatch"
    return type(error).__name__
