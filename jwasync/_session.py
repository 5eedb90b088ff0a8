"""The session layer: the one place a request is built, sent, retried and decoded.

Every API call passes through :meth:`Transport.request`:

1. take a slot from the secret's budget (waiting if the window is full);
2. send it with aiohttp, redirects off, so the secret goes to the API's host only;
3. settle the slot with the status and the ``jw-request-*`` headers;
4. decode JSON, or raise the typed error for the status;
5. let tenacity retry what :func:`jwasync._retry.decide` calls transient.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import tenacity
from yarl import URL

from ._budget import Budget
from ._config import RetryPolicy
from ._errors import (
    APIError,
    ClientClosedError,
    ConnectError,
    InvalidResponseError,
    RequestTimeoutError,
    TooManyRequestsError,
    TransportError,
    error_for_status,
)
from ._retry import Outcome, decide

__all__ = ["Sleep", "Transport", "check_path", "decode_errors"]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int | float | bool | None]

# A path is segments of unreserved or percent-encoded characters; no query string,
# no fragment, no scheme or host, no dot segments.
_PATH = re.compile(r"(?:/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+/?")


def check_path(path: str) -> str:
    """Validate a request path so it cannot leave the API's host or route.

    Raises:
        ValueError: The path is not a plain absolute path on the API.
    """
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(
            "path must be an absolute API path such as '/v2/webhooks/' "
            "(no host, query string or whitespace)"
        )
    if any(segment in {".", ".."} for segment in path.split("/")):
        raise ValueError("path must not contain '.' or '..' segments")
    return path


def decode_errors(body: bytes) -> list[dict[str, Any]]:
    """Return the API's ``errors`` list from an error body, or [] if there is none."""
    try:
        data = jsonlib.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("errors"), list):
        return []
    return [e for e in data["errors"] if isinstance(e, dict)]


def _clean_params(params: Params | None) -> dict[str, str] | None:
    if not params:
        return None
    clean: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            clean[key] = "true" if value else "false"
        else:
            clean[key] = str(value)
    return clean


class _Redacted(str):
    """A credential that shows as ``'<redacted>'`` wherever it is repr'd.

    Error trackers and ``pytest --showlocals`` print the locals of every frame of a
    traceback, the request's headers among them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


class _Attempt:
    """State shared between tenacity's retry and wait hooks for one call."""

    __slots__ = ("attempts", "delay", "idempotent", "method")

    def __init__(self, method: str, idempotent: bool | None) -> None:
        self.method = method
        self.idempotent = idempotent
        self.delay = 0.0
        self.attempts = 0


class Transport:
    """Sends requests for one client: budget, retries, errors, decoding.

    Args:
        session: The aiohttp session to send with.
        base_url: The API's origin (``https://api.jwplayer.com``).
        authorization: The ``Authorization`` header value for API calls.
        budget: The secret's shared budget.
        retry: The retry policy.
        timeout: Per-attempt timeout.
        user_agent: The ``User-Agent`` header.
        sleep: How to wait between attempts (injected in tests).
        rng: Source of backoff jitter.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        base_url: str,
        authorization: str,
        budget: Budget,
        retry: RetryPolicy,
        timeout: aiohttp.ClientTimeout,
        user_agent: str,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self._authorization = _Redacted(authorization)
        self.budget = budget
        self.retry = retry
        self.timeout = timeout
        self._user_agent = user_agent
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._host = URL(base_url).host
        self.closed = False

    def __repr__(self) -> str:
        return f"<Transport {self.base_url} authorization=[secure]>"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        token: str | None = None,
    ) -> Any:
        """Send one API call through the budget, with retries; return its JSON.

        Args:
            method: The HTTP method.
            path: An absolute path such as ``/v2/sites/Abc12345/media/``.
            params: Query parameters (None values are left out).
            json: A JSON body.
            idempotent: Overrides whether the call is safe to repeat.
            token: A bearer token to use instead of the API secret (upload calls).

        Returns:
            The decoded JSON body, or None for an empty body (a 204, say).
        """
        method = method.upper()
        url = URL(self.base_url + check_path(path), encoded=True)
        if url.host != self._host:
            raise ValueError("path must stay on the API's host")
        headers = {
            "Authorization": self._authorization
            if token is None
            else _Redacted(f"Bearer {token}"),
            "User-Agent": self._user_agent,
            "Accept": "application/json",
        }
        state = _Attempt(method, idempotent)
        retrying = tenacity.AsyncRetrying(
            retry=lambda rs: self._should_retry(rs, state),
            wait=lambda rs: state.delay,
            stop=tenacity.stop_never,
            reraise=True,
            sleep=self._sleep,
        )
        return await retrying(
            self._attempt, state, url, path, _clean_params(params), json, headers
        )

    def _should_retry(
        self, retry_state: tenacity.RetryCallState, state: _Attempt
    ) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if isinstance(exc, APIError):
            result = Outcome(exc.status, retry_after=getattr(exc, "retry_after", None))
        elif isinstance(exc, TransportError):
            result = Outcome(None, sent=exc.sent)
        else:
            return False  # cancellation, misuse, a bad success body: never repeated
        attempt = retry_state.attempt_number
        delay = decide(
            self.retry,
            attempt=attempt,
            method=state.method,
            outcome=result,
            idempotent=state.idempotent,
            rng=self._rng,
        )
        if delay is None:
            return False
        state.delay = delay
        logger.info(
            "%s %s: attempt %d failed (%s); retrying in %.2fs",
            state.method,
            getattr(exc, "path", ""),
            attempt,
            result.status or type(exc).__name__,
            delay,
        )
        return True

    async def _attempt(
        self,
        state: _Attempt,
        url: URL,
        path: str,
        params: dict[str, str] | None,
        json: Any,
        headers: dict[str, str],
    ) -> Any:
        method = state.method
        state.attempts += 1
        async with self.budget.slot(retry=state.attempts > 1) as slot:
            if self.closed or self.session.closed:
                slot.release()
                raise ClientClosedError(
                    f"{method} {path}: the client (or its aiohttp session) is closed"
                )
            try:
                async with self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    status = response.status
                    reason = response.reason or ""
                    response_headers = response.headers
            except aiohttp.ConnectionTimeoutError as exc:
                slot.release()
                raise RequestTimeoutError(
                    f"{method} {path}: timed out connecting",
                    method=method,
                    path=path,
                    sent=False,
                ) from exc
            except aiohttp.ClientConnectorError as exc:
                slot.release()
                raise ConnectError(
                    f"{method} {path}: could not connect ({type(exc).__name__})",
                    method=method,
                    path=path,
                    sent=False,
                ) from exc
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise RequestTimeoutError(
                    f"{method} {path}: timed out waiting for the response",
                    method=method,
                    path=path,
                ) from exc
            except RuntimeError:
                if not self.session.closed:
                    raise
                raise ClientClosedError(
                    f"{method} {path}: the client was closed during the request"
                ) from None
            except (aiohttp.ClientError, OSError) as exc:
                raise ConnectError(
                    f"{method} {path}: connection failed ({type(exc).__name__})",
                    method=method,
                    path=path,
                ) from exc
            retry_after = slot.settle(status, response_headers)
        request_id = response_headers.get("jw-request-id")
        logger.debug("%s %s -> %d", method, path, status)
        if 200 <= status < 300:
            return _decode_success(body, status, method, path, request_id)
        error = error_for_status(status)(
            status,
            decode_errors(body),
            request_id=request_id,
            method=method,
            path=path,
            reason=reason,
        )
        if isinstance(error, TooManyRequestsError):
            error.retry_after = retry_after
        raise error


def _decode_success(
    body: bytes, status: int, method: str, path: str, request_id: str | None
) -> Any:
    if not body.strip():
        return None
    try:
        return jsonlib.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidResponseError(
            f"{method} {path}: {status} response is not JSON ({len(body)} bytes)",
            status=status,
            method=method,
            path=path,
            request_id=request_id,
        ) from None
