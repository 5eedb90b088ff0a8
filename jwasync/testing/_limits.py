"""Server-side rate-limit models for the fake, pure and clock-free.

Each model is told the time by its caller, so unit tests drive it with plain numbers
and never sleep. All three share one small interface (:class:`Budget`):

- ``sliding``: at most ``limit`` counted requests in any trailing ``period``
  (a log of counted times; an entry stops counting ``period`` after it was made).
- ``fixed``: a counter that resets at ``offset + k * period``.
- ``bucket``: a token bucket of capacity ``limit`` refilled at ``limit / period``
  per second, starting full.

"Counted" means accepted, plus rejected ones when ``count_rejected`` is set: a
rejected request then pushes the moment the budget has room further out, as a
server that punishes hammering would. The bucket never goes deeper than
``1 - limit`` tokens, so with every model the wait after a storm is at most one
period.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "Budget",
    "Decision",
    "FixedWindow",
    "ServerModel",
    "SlidingWindow",
    "TokenBucket",
    "make_budget",
    "max_in_window",
]

ServerModel = Literal["sliding", "fixed", "bucket"]

# Float sums like ``t + period`` land an ulp either side of the exact instant; a
# client that waits exactly ``retry_after`` must not be turned away by rounding.
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one admission attempt.

    Attributes:
        accepted: Whether the request may run.
        remaining: Requests still allowed right now, after this one was counted.
        retry_after: Seconds until the budget has room for one more request
            (0.0 when it has room now).
    """

    accepted: bool
    remaining: int
    retry_after: float


class Budget(Protocol):
    """What the fake needs from a rate-limit model."""

    @property
    def limit(self) -> int:
        """Requests allowed per period."""
        ...

    def try_acquire(self, now: float) -> Decision:
        """Count one request arriving at ``now`` if the model allows it."""
        ...

    def peek(self, now: float) -> Decision:
        """Report the state at ``now`` without counting anything."""
        ...


def _check(limit: int, period: float) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if not period > 0:
        raise ValueError(f"period must be positive, got {period}")


class SlidingWindow:
    """At most ``limit`` counted requests in any trailing ``period``."""

    def __init__(self, limit: int, period: float, *, count_rejected: bool = False):
        """Create an empty window.

        Args:
            limit: Requests allowed in any trailing period.
            period: Window length in seconds.
            count_rejected: Whether a rejected request is logged too.
        """
        _check(limit, period)
        self._limit = limit
        self._period = period
        self._count_rejected = count_rejected
        self._log: deque[float] = deque()

    @property
    def limit(self) -> int:
        """Requests allowed per period."""
        return self._limit

    def try_acquire(self, now: float) -> Decision:
        """Count one request arriving at ``now`` if fewer than ``limit`` are logged."""
        self._expire(now)
        accepted = len(self._log) < self._limit
        if accepted or self._count_rejected:
            self._log.append(now)
        return self._decision(now, accepted=accepted)

    def peek(self, now: float) -> Decision:
        """Report the state at ``now`` without counting anything."""
        self._expire(now)
        return self._decision(now, accepted=len(self._log) < self._limit)

    def _expire(self, now: float) -> None:
        while self._log and self._log[0] + self._period <= now + _EPS:
            self._log.popleft()

    def _decision(self, now: float, *, accepted: bool) -> Decision:
        used = len(self._log)
        remaining = max(0, self._limit - used)
        if remaining:
            return Decision(accepted, remaining, 0.0)
        # Room opens when enough of the oldest entries have aged out to leave
        # ``limit - 1`` in the window.
        frees_at = self._log[used - self._limit] + self._period
        return Decision(accepted, 0, max(0.0, frees_at - now))


class FixedWindow:
    """A counter that resets at ``offset + k * period`` for every integer ``k``."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        offset: float = 0.0,
        count_rejected: bool = False,
    ):
        """Create a fresh counter.

        Args:
            limit: Requests allowed per window.
            period: Window length in seconds.
            offset: Where the window boundaries sit on the clock.
            count_rejected: Whether a rejected request increments the counter.
        """
        _check(limit, period)
        self._limit = limit
        self._period = period
        self._offset = offset
        self._count_rejected = count_rejected
        self._window: int | None = None
        self._used = 0

    @property
    def limit(self) -> int:
        """Requests allowed per period."""
        return self._limit

    def try_acquire(self, now: float) -> Decision:
        """Count one request arriving at ``now`` if this window has room."""
        self._roll(now)
        accepted = self._used < self._limit
        if accepted or self._count_rejected:
            self._used += 1
        return self._decision(now, accepted=accepted)

    def peek(self, now: float) -> Decision:
        """Report the state at ``now`` without counting anything."""
        self._roll(now)
        return self._decision(now, accepted=self._used < self._limit)

    def _index(self, now: float) -> int:
        return math.floor((now - self._offset + _EPS) / self._period)

    def _roll(self, now: float) -> None:
        index = self._index(now)
        if index != self._window:
            self._window = index
            self._used = 0

    def _decision(self, now: float, *, accepted: bool) -> Decision:
        remaining = max(0, self._limit - self._used)
        if remaining:
            return Decision(accepted, remaining, 0.0)
        next_boundary = self._offset + (self._index(now) + 1) * self._period
        return Decision(accepted, 0, max(0.0, next_boundary - now))


class TokenBucket:
    """Capacity ``limit``, refilled at ``limit / period`` per second, starting full."""

    def __init__(self, limit: int, period: float, *, count_rejected: bool = False):
        """Create a full bucket.

        Args:
            limit: Bucket capacity.
            period: Seconds to refill an empty bucket completely.
            count_rejected: Whether a rejected request still takes a token
                (the level may then go below zero, down to ``1 - limit``).
        """
        _check(limit, period)
        self._limit = limit
        self._rate = limit / period
        self._count_rejected = count_rejected
        self._tokens = float(limit)
        self._stamp: float | None = None

    @property
    def limit(self) -> int:
        """Requests allowed per period."""
        return self._limit

    def try_acquire(self, now: float) -> Decision:
        """Take one token at ``now`` if at least one is available."""
        self._refill(now)
        accepted = self._tokens >= 1.0 - _EPS
        if accepted:
            self._tokens = max(0.0, self._tokens - 1.0)
        elif self._count_rejected:
            self._tokens = max(1.0 - self._limit, self._tokens - 1.0)
        return self._decision(accepted=accepted)

    def peek(self, now: float) -> Decision:
        """Report the state at ``now`` without counting anything."""
        self._refill(now)
        return self._decision(accepted=self._tokens >= 1.0 - _EPS)

    def _refill(self, now: float) -> None:
        if self._stamp is not None and now > self._stamp:
            gained = (now - self._stamp) * self._rate
            self._tokens = min(float(self._limit), self._tokens + gained)
        if self._stamp is None or now > self._stamp:
            self._stamp = now

    def _decision(self, *, accepted: bool) -> Decision:
        remaining = max(0, math.floor(self._tokens + _EPS))
        if remaining:
            return Decision(accepted, remaining, 0.0)
        return Decision(accepted, 0, max(0.0, (1.0 - self._tokens) / self._rate))


def make_budget(
    model: ServerModel,
    limit: int,
    period: float,
    *,
    offset: float = 0.0,
    count_rejected: bool = False,
) -> Budget:
    """Build the budget for one token.

    Args:
        model: ``"sliding"``, ``"fixed"`` or ``"bucket"``.
        limit: Requests allowed per period.
        period: Period in seconds.
        offset: Boundary offset, used by the ``fixed`` model only.
        count_rejected: Whether rejected requests consume budget.

    Returns:
        A fresh budget with nothing spent.

    Raises:
        ValueError: For an unknown model or a non-positive limit or period.
    """
    if model == "sliding":
        return SlidingWindow(limit, period, count_rejected=count_rejected)
    if model == "fixed":
        return FixedWindow(limit, period, offset=offset, count_rejected=count_rejected)
    if model == "bucket":
        return TokenBucket(limit, period, count_rejected=count_rejected)
    raise ValueError(f"unknown server model {model!r}")


def max_in_window(times: Sequence[float], period: float) -> int:
    """Return the most entries of ``times`` that fall in any window ``[t, t + period)``.

    The boundary rule matches :class:`SlidingWindow`: an entry at ``t`` and one at
    ``t + period`` are never in the same window.

    Args:
        times: Times in non-decreasing order.
        period: Window length in seconds.

    Returns:
        The largest count, 0 for no times.
    """
    best = 0
    start = 0
    for end, latest in enumerate(times):
        while times[start] + period <= latest + _EPS:
            start += 1
        best = max(best, end - start + 1)
    return best
