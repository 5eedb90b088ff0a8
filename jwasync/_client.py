"""The client: configuration, the aiohttp session's lifecycle, resource accessors."""

from __future__ import annotations

import asyncio
import enum
import os
import random
import warnings
from typing import Any

import aiohttp
from yarl import URL

from ._budget import BudgetStats, budget_for
from ._config import DEFAULT_BASE_URL, RateLimit, RetryPolicy
from ._errors import ClientClosedError
from ._session import Params, Sleep, Transport
from ._version import __version__
from .resources import (
    AdSchedules,
    Analytics,
    ChannelEvents,
    Channels,
    DrmPolicies,
    Imports,
    Media,
    MediaProtectionRules,
    MediaRenditions,
    Originals,
    PlayerBiddingConfigs,
    Players,
    Playlists,
    SiteProtectionRule,
    Sites,
    SiteView,
    TextTracks,
    Thumbnails,
    VpbConfigs,
    Webhooks,
)

__all__ = ["DEFAULT_TIMEOUT", "JWPlatformClient"]

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60.0, connect=10.0)
SECRET_ENV = "JWPLATFORM_API_SECRET"  # noqa: S105 - a variable name, not a secret


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


def _check_base_url(base_url: str) -> str:
    url = URL(base_url)
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError(
            "base_url must be an http(s) URL such as https://api.jwplayer.com"
        )
    if url.user or url.password or url.query_string or url.fragment:
        raise ValueError("base_url must not carry credentials, a query or a fragment")
    if url.path not in {"", "/"}:
        raise ValueError("base_url is the API's origin only; paths start with /v2/")
    return str(url.origin())


def _as_timeout(timeout: float | aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout:
    if timeout is None:
        return aiohttp.ClientTimeout(total=None)
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or timeout <= 0
    ):
        raise ValueError("timeout must be a positive number of seconds")
    return aiohttp.ClientTimeout(total=float(timeout))


class JWPlatformClient:
    """An asyncio client for the JW Player Platform Management API v2.

    Use it as an async context manager, one per application, shared by every
    coroutine::

        async with JWPlatformClient() as jw:
            media = await jw.media.get("Abc12345", "Ny05CEfj")

    Every client using the same secret in the same event loop draws on one budget,
    so concurrent calls never overrun the API's per-secret rate limit.

    Args:
        secret: The v2 API secret. Defaults to the ``JWPLATFORM_API_SECRET``
            environment variable.
        base_url: The API's origin; another value points the client at a fake or a
            proxy. The secret is sent to this host only.
        rate_limit: The client-side budget; None turns pacing off (429s are still
            retried).
        retry: When and how failed calls are retried.
        timeout: Per-attempt timeout in seconds, or an ``aiohttp.ClientTimeout``;
            None for no timeout.
        session: An ``aiohttp.ClientSession`` to borrow. The client never closes a
            session it did not create.
        user_agent: Overrides the ``User-Agent`` header.

    Raises:
        ValueError: No secret was given or found, or an argument is invalid.
    """

    def __init__(
        self,
        secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: RateLimit | None = RateLimit(),  # noqa: B008 - frozen value
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen value
        timeout: float | aiohttp.ClientTimeout | None = DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
    ) -> None:
        if secret is None:
            secret = os.environ.get(SECRET_ENV)
        if not isinstance(secret, str) or not secret.strip():
            raise ValueError(f"no API secret: pass secret= or set {SECRET_ENV}")
        if any(c.isspace() for c in secret.strip()) or not secret.isprintable():
            raise ValueError("the API secret contains whitespace or control characters")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise TypeError("rate_limit must be a RateLimit or None")
        if not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy")
        if user_agent is not None and not user_agent.isprintable():
            raise ValueError("user_agent must not contain control characters")
        self._secret = secret.strip()
        self.base_url = _check_base_url(base_url)
        self.rate_limit = rate_limit
        self.retry = retry
        self.timeout = _as_timeout(timeout)
        self.user_agent = (
            user_agent or f"jwasync/{__version__} aiohttp/{aiohttp.__version__}"
        )
        self._borrowed = session
        self._session: aiohttp.ClientSession | None = None
        self._transport: Transport | None = None
        self._state = _State.UNOPENED
        self._sleep: Sleep = asyncio.sleep
        self._rng = random.Random()

        self.media = Media(self)
        self.media_renditions = MediaRenditions(self)
        self.originals = Originals(self)
        self.text_tracks = TextTracks(self)
        self.thumbnails = Thumbnails(self)
        self.playlists = Playlists(self)
        self.players = Players(self)
        self.media_protection_rules = MediaProtectionRules(self)
        self.site_protection_rule = SiteProtectionRule(self)
        self.drm_policies = DrmPolicies(self)
        self.channels = Channels(self)
        self.channel_events = ChannelEvents(self)
        self.ad_schedules = AdSchedules(self)
        self.vpb_configs = VpbConfigs(self)
        self.player_bidding_configs = PlayerBiddingConfigs(self)
        self.imports = Imports(self)
        self.webhooks = Webhooks(self)
        self.sites = Sites(self)
        self.analytics = Analytics(self)

    def __repr__(self) -> str:
        return (
            f"<JWPlatformClient base_url={self.base_url!r} secret=[secure] "
            f"state={self._state.value}>"
        )

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> JWPlatformClient:
        self._open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._state is _State.CLOSED

    def _open(self) -> Transport:
        if self._state is _State.CLOSED:
            raise ClientClosedError("this JWPlatformClient is closed; create a new one")
        if self._transport is not None:
            return self._transport
        if self._borrowed is not None:
            if self._borrowed.closed:
                raise ClientClosedError("the aiohttp session passed in is closed")
            session = self._borrowed
        else:
            session = aiohttp.ClientSession()
            # aiohttp silently resends a GET/PUT/DELETE once when a kept-alive
            # connection drops. That bypasses the budget and the retry policy (a
            # PUT such as channel_events.clip must not run twice), so retries are
            # left to the session layer alone. There is no public switch for it.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session = session
        self._transport = Transport(
            session=session,
            base_url=self.base_url,
            authorization=f"Bearer {self._secret}",
            budget=budget_for(self._secret, self.base_url, self.rate_limit),
            retry=self.retry,
            timeout=self.timeout,
            user_agent=self.user_agent,
            sleep=self._sleep,
            rng=self._rng,
        )
        self._state = _State.OPEN
        return self._transport

    async def aclose(self) -> None:
        """Close the client and the session it created. Calling it again is harmless."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        if self._transport is not None:
            self._transport.closed = True  # queued and retried calls stop here
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def __del__(self, _warn: Any = warnings.warn) -> None:
        session = getattr(self, "_session", None)
        if session is not None and not session.closed:
            _warn(
                "JWPlatformClient was never closed; use 'async with' or await aclose()",
                ResourceWarning,
                stacklevel=1,
            )

    def site(self, site_id: str) -> SiteView:
        """Return the site-scoped accessors with ``site_id`` filled in.

        ``await jw.site("Abc12345").media.get("Ny05CEfj")`` is the same call as
        ``await jw.media.get("Abc12345", "Ny05CEfj")``. The view is cheap to make
        and shares this client's session and budget.

        Raises:
            InvalidIdError: ``site_id`` is not a valid id.
        """
        return SiteView(self, site_id)

    # -- requests --------------------------------------------------------------------

    @property
    def budget(self) -> BudgetStats:
        """The state of this secret's shared budget.

        Read it inside the event loop; after :meth:`aclose` it still shows the
        figures of the budget the client used.
        """
        if self._transport is not None:
            return self._transport.budget.stats()
        return self._open().budget.stats()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call any route: the same budget, retries and errors as everything else.

        Args:
            method: The HTTP method.
            path: The absolute path, e.g. ``/v2/sites/Abc12345/media/``.
            params: Query parameters.
            json: A JSON body.
            idempotent: Whether the call is safe to repeat after an ambiguous
                failure (defaults to the method's nature).

        Returns:
            The decoded JSON body, or None for an empty one.

        Raises:
            APIError: The API answered with an error status (a subclass per status).
            TransportError: The call failed on the way (connection, timeout).
            InvalidResponseError: A success status with a body that is not JSON.
            ClientClosedError: The client is closed.
        """
        return await self._call(
            method, path, params=params, json=json, idempotent=idempotent
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        token: str | None = None,
    ) -> Any:
        """The resources' way in: like :meth:`request`, plus an alternate token."""
        return await self._open().request(
            method, path, params=params, json=json, idempotent=idempotent, token=token
        )

    # -- private: presigned uploads (jwasync._uploads) --------------------------------

    def _http_session(self) -> aiohttp.ClientSession:
        """The raw aiohttp session, for PUTs to presigned upload links only.

        Those PUTs bypass the budget and the session layer, and carry no API secret:
        the secret lives in the transport's headers, never in the session's.
        """
        return self._open().session
