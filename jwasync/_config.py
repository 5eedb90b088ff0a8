"""Configuration values: the rate limit and the retry policy."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["DEFAULT_BASE_URL", "RateLimit", "RetryPolicy"]

DEFAULT_BASE_URL = "https://api.jwplayer.com"


@dataclass(frozen=True)
class RateLimit:
    """How many requests a secret may send, and how bursty the client is.

    Args:
        limit: Requests allowed per ``period``. The API's own ``jw-request-limit``
            header overrides this once a response carries it.
        period: The length of the window, in seconds.
        burst: How many requests may leave back to back before pacing sets in. The
            default, ``limit``, lets an interactive app spend the whole allowance at
            once; a polite batch job may choose ``1`` to spread calls evenly. Pacing
            runs at ``limit / period`` whatever the burst.
        max_wait: Give up with ``BudgetTimeoutError`` (a ``TimeoutError``) when a
            request waits longer than this for the budget (None waits as long as
            it takes).
    """

    limit: int = 60
    period: float = 60.0
    burst: int | None = None
    max_wait: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise TypeError("RateLimit.limit must be an int")
        if self.limit < 1:
            raise ValueError("RateLimit.limit must be at least 1")
        if not 0 < self.period < math.inf:
            raise ValueError("RateLimit.period must be a positive number of seconds")
        if self.burst is not None and not 1 <= self.burst <= self.limit:
            raise ValueError("RateLimit.burst must be between 1 and limit")
        if self.max_wait is not None and not 0 <= self.max_wait < math.inf:
            raise ValueError("RateLimit.max_wait must be a non-negative number")

    @property
    def effective_burst(self) -> int:
        """The burst size in force (``limit`` when none was given)."""
        return self.limit if self.burst is None else self.burst


@dataclass(frozen=True)
class RetryPolicy:
    """When and how a failed request is tried again.

    A 429 is always retried (the API did not run the call) and waits on the shared
    budget rather than a sleep of its own. 5xx answers and transport failures are
    retried with exponential backoff and full jitter, but only when repeating cannot
    do harm: the method is idempotent, or the request never left this machine.

    Args:
        max_attempts: Attempts per call, the first included.
        backoff_base: The first backoff, in seconds; it doubles per attempt.
        backoff_max: The cap on one backoff.
        max_retry_after: The longest ``Retry-After`` honoured; a longer one raises
            ``TooManyRequestsError`` at once instead of parking the caller.
        idempotent_methods: Methods safe to repeat after an ambiguous failure.
            PATCH is included because every JW PATCH sets fields to given values;
            remove it to be stricter.
        retry_statuses: Statuses (besides 429) that count as transient.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    idempotent_methods: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"}
        )
    )
    retry_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({500, 502, 503, 504})
    )

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(
            self.max_attempts, int
        ):
            raise TypeError("RetryPolicy.max_attempts must be an int")
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        for name in ("backoff_base", "backoff_max", "max_retry_after"):
            if not 0 <= getattr(self, name) < math.inf:
                raise ValueError(f"RetryPolicy.{name} must be a non-negative number")
