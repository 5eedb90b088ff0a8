"""An in-process fake of JW Player's Platform Management API v2 on aiohttp.web.

The fake listens on 127.0.0.1 (an OS-chosen port by default) and answers every
route of jw-api.md §3 from an in-memory store. It enforces a per-token request
budget the way the real API is documented to (``jw-request-limit`` and
``jw-request-remaining`` on every authenticated response, 429 when spent), under
one of three server models, so a client's rate limiter can be tested and
benchmarked against real sockets.

Order of events for a ``/v2/`` request (other than the upload routes):

1. No known ``Bearer`` token: 401, no budget is touched, no ``jw-request-*``
   headers.
2. The budget is asked at arrival. Rejected: 429 ``rate_limit_exceeded`` and
   nothing runs; with ``count_rejected`` the refusal still costs budget.
3. The configured latency is waited out (after counting, before answering).
4. The route runs; unknown paths, wrong methods, bad bodies and bad queries are
   404/405/400 and have already cost budget, as on a real server.

The upload routes (``/v2/uploads/{id}/parts`` and ``/complete``) take the
upload's ``upload_token`` instead and, by default, no budget; ``upload_limit``
gives every upload token a budget of its own. Presigned PUTs (``/_s3/...``)
never count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import MappingProxyType
from typing import Any, Literal, Self

from aiohttp import web

from ._api import Api, clone_media
from ._http import error_response
from ._limits import Budget, Decision, ServerModel, make_budget
from ._routes import RESOURCES, match, split_path
from ._stats import TokenStats
from ._store import Store, new_object
from ._uploads import Upload, Uploads

__all__ = ["FakeJWPlatform", "HeaderFault", "RetryAfterStyle", "serve"]

JSON = dict[str, Any]

RetryAfterStyle = Literal["seconds", "http-date"]
HeaderFault = Literal["missing", "garbled", "negative"]

_MODELS = frozenset({"sliding", "fixed", "bucket"})
_GARBAGE = ("abc", "", "1e3x", "NaN", "12.5.1", " ")
_BY_KEY = {resource.key: resource for resource in RESOURCES}


class _Token:
    """A token's budget and statistics."""

    def __init__(self, budget: Budget, stats: TokenStats) -> None:
        self.budget = budget
        self.stats = stats


class FakeJWPlatform:
    """A local stand-in for ``https://api.jwplayer.com`` with a real rate budget.

    Use it as an async context manager; ``url`` is the base a client should use
    (it appends ``/v2/...``)::

        async with FakeJWPlatform(tokens=("secret",), limit=60, period=60.0) as fake:
            ...  # point a client at fake.url with secret "secret"
            assert fake.stats_for("secret").max_in_window() <= 60

    Note:
        Objects live in memory only and behave as described in jw-api.md where it
        is known; elsewhere the fake makes documented assumptions (``q`` grammar in
        ``jwasync.testing._query``, the 10,000 cap keeps ``total`` at the full
        count, multipart parts are created lazily, uploads finish processing
        ``processing_delay`` seconds after their bytes are in).
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("fake-secret",),
        limit: int = 60,
        period: float = 60.0,
        model: ServerModel = "sliding",
        fixed_offset: float | None = None,
        count_rejected: bool = False,
        retry_after: RetryAfterStyle | None = None,
        header_faults: float = 0.0,
        header_fault_kinds: Iterable[HeaderFault] = ("missing", "garbled", "negative"),
        foreign_rate: float = 0.0,
        latency: float | tuple[float, float] = 0.0,
        clock: Callable[[], float] | None = None,
        seed: int = 0,
        upload_limit: tuple[int, float] | None = None,
        result_cap: int | None = 10_000,
        max_page_length: int = 1000,
        min_part_size: int = 5 * 1024 * 1024,
        max_parts: int = 10_000,
        part_latency: float = 0.0,
        processing_delay: float = 0.0,
        analytics_rows: int = 250,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure the fake; nothing listens until :meth:`start`.

        Args:
            tokens: API secrets the fake accepts; each has its own budget.
            limit: Requests allowed per ``period`` per token.
            period: Budget period in seconds.
            model: ``"sliding"`` (any trailing period), ``"fixed"`` (windows at
                ``fixed_offset + k * period``) or ``"bucket"`` (token bucket,
                starts full).
            fixed_offset: Window phase for ``"fixed"``; by default drawn from
                ``random.Random(seed)`` in ``[0, period)``.
            count_rejected: Whether a 429'd request still consumes budget.
            retry_after: Add ``Retry-After`` to 429s: ``"seconds"`` (integer,
                rounded up) or ``"http-date"``; None (the default, like JW) omits it.
            header_faults: Probability that a response's ``jw-request-*`` headers
                are tampered with (seeded).
            header_fault_kinds: Which tampering to pick from: ``"missing"`` (both
                headers dropped), ``"garbled"`` (non-numbers such as ``"1e3x"``),
                ``"negative"`` (a negative ``remaining``).
            foreign_rate: Share of ``limit`` per ``period`` that an invisible second
                consumer wants on every token, at evenly spaced times. What it is
                refused it tries again at its next turn, as a real client would.
            latency: Server delay per request in seconds, fixed or a
                ``(low, high)`` uniform range (seeded). Counted after the budget.
            clock: Time source for budgets and stats; the running loop's clock by
                default, so virtual-time loops drive the fake too.
            seed: Seed for ids, offsets, faults, latency and synthetic values.
            upload_limit: ``(limit, period)`` budget per upload token for the
                ``/v2/uploads/`` routes, same model; None (default) means unlimited.
            result_cap: Media results reachable per query (JW: 10,000); None for
                no cap.
            max_page_length: Largest ``page_length`` accepted (400 above).
            min_part_size: Smallest multipart part allowed, except the last.
            max_parts: Highest multipart part number.
            part_latency: Delay in seconds before answering each presigned PUT.
            processing_delay: Seconds a media stays ``processing`` after its
                bytes are in (or after a fetch create) before it is ``ready``.
            analytics_rows: Rows an analytics query with dimensions has in all.
            host: Interface to bind.
            port: Port to bind; 0 lets the OS choose.

        Raises:
            ValueError: For an unknown model or an out-of-range option.
        """
        if model not in _MODELS:
            raise ValueError(f"model must be one of {sorted(_MODELS)}, got {model!r}")
        if not 0.0 <= header_faults <= 1.0:
            raise ValueError("header_faults must be a probability from 0 to 1")
        if foreign_rate < 0:
            raise ValueError("foreign_rate must not be negative")
        token_list = list(dict.fromkeys(tokens))
        if not token_list:
            raise ValueError("give at least one token")
        self._limit = limit
        self._period = period
        self._model: ServerModel = model
        self._count_rejected = count_rejected
        self._retry_after = retry_after
        self._header_faults = header_faults
        self._fault_kinds: tuple[HeaderFault, ...] = tuple(header_fault_kinds)
        self._foreign_rate = foreign_rate
        self._latency = latency
        self._clock = clock
        self._upload_limit = upload_limit
        self._host = host
        self._port = port
        self._offset = (
            random.Random(seed).uniform(0.0, period)
            if fixed_offset is None
            else fixed_offset
        )
        self._fault_rng = random.Random(f"{seed}:headers")
        self._latency_rng = random.Random(f"{seed}:latency")
        self._id_rng = random.Random(f"{seed}:ids")
        self._tokens = {token: self._new_token() for token in token_list}
        self._upload_budgets: dict[str, Budget] = {}
        self._store = Store(random.Random(f"{seed}:objects"))
        self._uploads = Uploads(
            rng=random.Random(f"{seed}:uploads"),
            base_url=lambda: self.url,
            on_complete=self._upload_finished,
            min_part_size=min_part_size,
            max_parts=max_parts,
            part_latency=part_latency,
        )
        self._api = Api(
            store=self._store,
            uploads=self._uploads,
            rng=random.Random(f"{seed}:values"),
            clock=self._now,
            result_cap=result_cap,
            max_page_length=max_page_length,
            processing_delay=processing_delay,
            analytics_rows=analytics_rows,
        )
        self._requests: list[tuple[str, str]] = []
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._closed = False
        self._foreign_tasks: list[asyncio.Task[None]] = []

    def _new_token(self) -> _Token:
        budget = make_budget(
            self._model,
            self._limit,
            self._period,
            offset=self._offset,
            count_rejected=self._count_rejected,
        )
        return _Token(budget, TokenStats(period=self._period))

    # --- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start serving and return the fake."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop serving."""
        await self.close()

    async def start(self) -> None:
        """Bind the port and start serving and the foreign consumer.

        Raises:
            RuntimeError: When already started or closed.
        """
        if self._runner is not None or self._closed:
            raise RuntimeError("FakeJWPlatform can be started once")
        self._now()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Handlers are cancelled when a client hangs up, so stalled PUTs end with
        # the client's timeout instead of outliving the test.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.25
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._url = f"http://{host}:{port}"
        if self._foreign_rate > 0:
            self._foreign_tasks = [
                asyncio.create_task(self._foreign(token))
                for token in self._tokens.values()
            ]

    async def close(self) -> None:
        """Stop the foreign consumer and the server; closing twice is harmless."""
        self._closed = True
        tasks, self._foreign_tasks = self._foreign_tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:PORT`` (no ``/v2``).

        Raises:
            RuntimeError: Before :meth:`start`.
        """
        if self._url is None:
            raise RuntimeError("FakeJWPlatform is not started")
        return self._url

    # --- budget and statistics ---------------------------------------------------

    def _now(self) -> float:
        if self._clock is None:
            try:
                self._clock = asyncio.get_running_loop().time
            except RuntimeError:
                self._clock = time.monotonic
        return self._clock()

    @property
    def tokens(self) -> tuple[str, ...]:
        """The accepted API secrets."""
        return tuple(self._tokens)

    @property
    def stats(self) -> Mapping[str, TokenStats]:
        """Statistics per token (read-only mapping of live objects)."""
        return MappingProxyType(
            {token: state.stats for token, state in self._tokens.items()}
        )

    def stats_for(self, token: str) -> TokenStats:
        """Return one token's statistics.

        Raises:
            KeyError: For a token the fake does not know.
        """
        return self._tokens[token].stats

    @property
    def requests(self) -> list[tuple[str, str]]:
        """``(method, path with query)`` of every request received, in order.

        Covers unauthenticated, upload and presigned requests too; it is the live
        list.
        """
        return self._requests

    def reset_stats(self) -> None:
        """Clear every token's statistics and the request log (budgets are kept)."""
        for state in self._tokens.values():
            state.stats.clear()
        self._requests.clear()

    def spend(self, token: str, n: int = 1) -> int:
        """Consume ``n`` units of a token's budget now, as another consumer would.

        Each unit is an attempt like a real request: refused when the budget is
        spent (and then counted only with ``count_rejected``).

        Returns:
            How many of the ``n`` were accepted.

        Raises:
            KeyError: For a token the fake does not know.
        """
        state = self._tokens[token]
        return sum(self._spend_one(state) for _ in range(n))

    def remaining(self, token: str) -> int:
        """Return what ``jw-request-remaining`` would say now, without spending."""
        return self._tokens[token].budget.peek(self._now()).remaining

    def _spend_one(self, state: _Token) -> bool:
        accepted = state.budget.try_acquire(self._now()).accepted
        if accepted:
            state.stats.foreign_accepted += 1
        else:
            state.stats.foreign_rejected += 1
        return accepted

    async def _foreign(self, state: _Token) -> None:
        # A real second user of the secret retries what it is refused, so its
        # demand builds up while the budget is taken and it still gets its share.
        loop = asyncio.get_running_loop()
        interval = self._period / (self._limit * self._foreign_rate)
        due = loop.time() + interval
        owed = 0
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            owed += 1
            while owed and self._spend_one(state):
                owed -= 1
            due += interval

    # --- store helpers for tests -------------------------------------------------

    def seed_media(
        self,
        site_id: str,
        n: int,
        *,
        created_start: datetime | None = None,
        spacing: float = 1.0,
        per_timestamp: int = 1,
        title_prefix: str = "Media",
        tags: Iterable[str] = (),
    ) -> list[JSON]:
        """Create ``n`` ready media in a site without HTTP.

        Args:
            site_id: The site (property) id.
            n: How many to create.
            created_start: ``created`` of the first one (default 2020-01-01 UTC).
            spacing: Seconds between successive distinct ``created`` values.
            per_timestamp: How many consecutive media share each ``created``
                value; 1 (default) makes them strictly increasing, more makes ties.
            title_prefix: Titles are ``"{title_prefix} {i}"``.
            tags: Tags given to every one.

        Returns:
            Copies of the created objects, in creation order.
        """
        if per_timestamp < 1:
            raise ValueError("per_timestamp must be at least 1")
        start = created_start or datetime(2020, 1, 1, tzinfo=UTC)
        made = self._api.seed_media(
            site_id,
            n,
            start=start,
            spacing=spacing,
            per_timestamp=per_timestamp,
            title_prefix=title_prefix,
            tags=list(tags),
        )
        return [clone_media(item) for item in made]

    def add_object(
        self,
        site_id: str,
        key: str,
        body: JSON | None = None,
        *,
        parent_id: str | None = None,
    ) -> JSON:
        """Insert an object of any collection without HTTP (e.g. channel events).

        Args:
            site_id: The site id (ignored for account-level ``webhooks``).
            key: A collection key such as ``"events"`` or ``"players"``.
            body: ``metadata``/``relationships`` and any extra top-level fields.
            parent_id: The parent's id for child collections.

        Returns:
            A copy of the stored object.

        Raises:
            ValueError: For an unknown key or a missing parent id.
        """
        resource = _BY_KEY.get(key)
        if resource is None:
            raise ValueError(f"unknown collection {key!r}")
        if (resource.parent is None) != (parent_id is None):
            raise ValueError(
                f"{key} needs parent_id exactly when it is a child collection"
            )
        body = dict(body or {})
        site = "" if resource.account else site_id
        parents = () if parent_id is None else (parent_id,)
        extra = {
            k: v for k, v in body.items() if k not in ("metadata", "relationships")
        }
        item = new_object(
            self._store.new_id(), resource.kind, self._store.now(), body, **extra
        )
        self._store.collection((site, key, parents)).add(item)
        copied: JSON = json.loads(json.dumps(item))
        return copied

    def get_object(
        self, site_id: str, key: str, item_id: str, *, parent_id: str | None = None
    ) -> JSON | None:
        """Return a copy of a stored object, or None."""
        resource = _BY_KEY.get(key)
        site = "" if resource is not None and resource.account else site_id
        parents = () if parent_id is None else (parent_id,)
        item = self._store.collection((site, key, parents)).get(item_id)
        return None if item is None else json.loads(json.dumps(item))

    # --- uploads for tests -------------------------------------------------------

    def uploaded_bytes(self, media_id: str) -> bytes | None:
        """Return a media's assembled upload, or None until it is complete."""
        return self._uploads.uploaded_bytes(media_id)

    def fail_part(
        self, target: str | None, part: int = 1, *, times: int = 1, status: int = 500
    ) -> None:
        """Answer the next ``times`` presigned PUTs of a part with ``status``.

        The body is read first, then an S3-style XML error is sent.

        Args:
            target: An upload id or media id; None for whichever upload PUTs
                that part next (useful before the media exists).
            part: The part number; direct uploads are part 1.
            times: How many PUTs to fail.
            status: The HTTP status to send.

        Raises:
            KeyError: When ``target`` matches no upload.
        """
        self._uploads.add_failure(target, part, times, status)

    def stall_part(
        self, target: str | None, part: int = 1, *, seconds: float, times: int = 1
    ) -> None:
        """Hold the next ``times`` presigned PUTs of a part for ``seconds``.

        The stall comes before the body is read; a client that times out and hangs
        up ends it early (the PUT is then not stored).
        """
        self._uploads.add_stall(target, part, seconds, times)

    def reset_part(self, target: str | None, part: int = 1, *, times: int = 1) -> None:
        """Drop the connection of the next ``times`` presigned PUTs of a part.

        The fake reads the first chunk of the body, then closes the socket with
        data unread, so the client sees a reset or a disconnect mid-request.

        Note:
            aiohttp's client silently retries an idempotent request (PUT included)
            once when a reused or fresh connection drops, so ``times=1`` may be
            invisible to an aiohttp caller; ``part_put_count`` shows both attempts.
        """
        self._uploads.add_reset(target, part, times)

    def part_put_count(self, target: str | None = None, part: int | None = None) -> int:
        """Count presigned PUTs received for one upload and part (None means all)."""
        return self._uploads.put_count(target, part)

    def _upload_finished(self, upload: Upload, data: bytes) -> None:
        self._api.upload_finished(upload, data)

    # --- request handling --------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._requests.append((request.method, request.path_qs))
        if request.path.startswith("/_s3/"):
            return await self._uploads.handle_put(request)
        segments = split_path(request.path)
        if segments is None:
            return error_response(404, "not_found", "No such route.")
        if segments[0] == "uploads":
            response = await self._handle_upload_route(request, segments)
        else:
            response = await self._handle_api(request, segments)
        response.headers["jw-request-id"] = f"{self._id_rng.getrandbits(128):032x}"
        return response

    async def _handle_api(
        self, request: web.Request, segments: list[str]
    ) -> web.Response:
        state = self._tokens.get(_bearer(request) or "")
        if state is None:
            await self._delay()
            return _unauthorized()
        state.stats.requests.append((request.method, request.path_qs))
        now = self._now()
        decision = state.budget.try_acquire(now)
        if decision.accepted:
            state.stats.accepted += 1
            state.stats.accepted_times.append(now)
        else:
            state.stats.rejected += 1
            state.stats.rejected_times.append(now)
        await self._delay()
        if decision.accepted:
            response = await self._route(request, segments, None)
        else:
            response = self._too_many(decision)
        self._stamp(response, decision, state.stats)
        return response

    async def _handle_upload_route(
        self, request: web.Request, segments: list[str]
    ) -> web.Response:
        token = _bearer(request) or ""
        upload = self._uploads.by_token(token)
        if upload is None or segments[1:2] != [upload.upload_id]:
            await self._delay()
            return _unauthorized()
        decision = self._upload_decision(token)
        await self._delay()
        if decision is not None and not decision.accepted:
            response = self._too_many(decision)
        else:
            response = await self._route(request, segments, upload)
        if decision is not None:
            self._stamp(response, decision, None)
        return response

    def _upload_decision(self, token: str) -> Decision | None:
        if self._upload_limit is None:
            return None
        budget = self._upload_budgets.get(token)
        if budget is None:
            limit, period = self._upload_limit
            budget = make_budget(
                self._model,
                limit,
                period,
                offset=self._offset,
                count_rejected=self._count_rejected,
            )
            self._upload_budgets[token] = budget
        return budget.try_acquire(self._now())

    async def _route(
        self, request: web.Request, segments: list[str], upload: Upload | None
    ) -> web.Response:
        self._api.promote()
        found = match(segments)
        if found is None:
            return error_response(404, "not_found", "No such route.")
        route, params = found
        op = route.ops.get(request.method)
        if op is None:
            response = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here."
            )
            response.headers["Allow"] = ", ".join(route.ops)
            return response
        return await self._api.dispatch(request, op, params, upload)

    async def _delay(self) -> None:
        if isinstance(self._latency, tuple):
            low, high = self._latency
            seconds = self._latency_rng.uniform(low, high)
        else:
            seconds = self._latency
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _too_many(self, decision: Decision) -> web.Response:
        response = error_response(
            429, "rate_limit_exceeded", "Too many requests for this API token."
        )
        if self._retry_after == "seconds":
            response.headers["Retry-After"] = str(math.ceil(decision.retry_after))
        elif self._retry_after == "http-date":
            when = datetime.now(UTC) + timedelta(seconds=decision.retry_after)
            # HTTP dates have whole seconds; round up so the date is never early.
            when = (when + timedelta(microseconds=999_999)).replace(microsecond=0)
            response.headers["Retry-After"] = format_datetime(when, usegmt=True)
        return response

    def _stamp(
        self, response: web.Response, decision: Decision, stats: TokenStats | None
    ) -> None:
        headers = {
            "jw-request-limit": str(self._limit),
            "jw-request-remaining": str(decision.remaining),
        }
        if self._header_faults and self._fault_rng.random() < self._header_faults:
            headers = self._tamper(headers)
            if stats is not None:
                stats.header_faults += 1
        response.headers.update(headers)

    def _tamper(self, headers: dict[str, str]) -> dict[str, str]:
        kind = self._fault_rng.choice(self._fault_kinds)
        if kind == "missing":
            return {}
        if kind == "negative":
            return {
                **headers,
                "jw-request-remaining": str(-self._fault_rng.randint(1, 100)),
            }
        garbled = dict(headers)
        for name in self._fault_rng.choice(
            (("jw-request-remaining",), ("jw-request-limit",), tuple(headers))
        ):
            garbled[name] = self._fault_rng.choice(_GARBAGE)
        return garbled


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _unauthorized() -> web.Response:
    return error_response(
        401, "unauthorized", "Missing or unknown API credentials (Bearer token)."
    )


async def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    on_ready: Callable[[FakeJWPlatform], object] | None = None,
    **options: Any,
) -> None:
    """Run a fake until cancelled, for a standalone ``jwasync fake-server``.

    Prints nothing; a caller that wants to announce the URL passes ``on_ready``.

    Args:
        host: Interface to bind.
        port: Port to bind (0 lets the OS choose).
        on_ready: Called with the started fake (``fake.url`` is set).
        **options: Any other :class:`FakeJWPlatform` keyword argument.
    """
    async with FakeJWPlatform(host=host, port=port, **options) as fake:
        if on_ready is not None:
            on_ready(fake)
        await asyncio.Event().wait()
