"""The per-secret request budget.

One ``Budget`` exists per API secret (and base URL) per event loop; every client that
uses the secret draws on it, so hundreds of coroutines share one allowance.

How it decides when a request may leave:

* **A log of sends is the hard cap.** Each request takes a slot when it leaves. The
  slot is held while the request is in flight and for one ``period`` after its
  response arrived: the server counted it no later than that, so the slot cannot
  still count against us on any sliding-window, fixed-window or token-bucket server.
  A request leaves only while fewer than ``limit`` slots are held.
* **aiolimiter shapes bursts** in front of the log when ``RateLimit.burst`` is smaller
  than the limit.
* **The headers re-sync the log.** ``jw-request-remaining`` says how much of the
  window the server sees spent when it counted that request:

  - *Less than our slots explain* (a fixed window rolled over, a bucket refilled, or
    the server forgot our sends sooner than we assumed): slots answered before that
    request left were all counted before it, so at most "spent, less this one" of
    them can still count; the rest are released at once.
  - *More than our slots explain*: someone else uses the secret. The difference is
    held as *foreign* slots that free one period later, so we slow to our share.
    An answer older than one already applied is ignored here, so it never undoes
    a newer one.
  - *A clamp.* Until the next answer, no more requests leave than that answer's
    ``remaining`` less everything it may not have counted (requests in flight, and
    those answered after it left). With nothing in flight a lone request may go to
    ask afresh.
  - Missing, garbled, negative or out-of-range values are ignored. A valid
    ``jw-request-limit`` replaces the configured limit.
* **Others' pace is remembered.** Requests by others seen over the last period (as
  foreign slots, or as a 429 where we saw room) are assumed to go on at that rate
  while we hear nothing: after a long silence (say, while our own window was full)
  that share is held back instead of being sent into a window others have used.
* **Window restarts are learned.** When an answer shows the server forgot requests
  of ours from the last period, which a sliding window never does, its window
  restarted (a fixed window) or refilled (a bucket) between the oldest forgotten
  send and that answer. Sightings, moved by whole periods, are intersected into an
  interval ``(lo, hi]``; while the log is full a lone *restart probe* may go at the
  next ``hi + k * period`` (or at the middle of the interval while others use the
  secret, where a 429 narrows it from below) instead of waiting for slots held a
  full period. A probe refused where a restart must have been drops the guess.
  With others on the secret and nothing sighted yet, a lone probe may also take a
  slot held for them half a period after the newest answer; our own sends still
  never exceed the limit in any period unless a sighting showed the server allows
  it. An answer saying nothing remains holds the lone probe until a slot frees
  (or the next likely restart), and a 429 on a server seen restarting waits for
  the restart instead of doubling its pause past it.
* **One waiter per freed slot**, in arrival order, woken by one timer at the moment
  the slot frees. Waiting requests are futures in a FIFO queue; nothing polls.
* **A 429 pauses every sender**, for ``Retry-After`` when the server sends one or an
  exponential pause starting at one drip (``period / limit``) otherwise, then lets a
  single probe out; the rest follow once its response re-syncs the log.
* **Cancellation-safe.** A waiter cancelled before or after it was woken gives its
  place back; a request cancelled in flight keeps its slot (it may have been counted).

Time comes from the running loop (``loop.time()`` and ``loop.call_at``), so a
virtual-time loop drives every rule in the unit tests without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import heapq
import logging
import math
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple

from aiolimiter import AsyncLimiter

from ._config import RateLimit
from ._errors import BudgetTimeoutError

__all__ = [
    "Budget",
    "BudgetStats",
    "Slot",
    "budget_for",
    "parse_retry_after",
    "secret_key",
]

logger = logging.getLogger(__name__)

# A timer may fire up to the loop's clock resolution early; slots this close to
# freeing are treated as free so a wake-up never finds nothing to do and re-arms
# for the same instant. It must stay far below a round trip: a server that answers
# at once counts a request barely before we see the answer, and frees its slot only
# a period after that.
_EPSILON = 1e-6

_LIMIT_HEADER = "jw-request-limit"
_REMAINING_HEADER = "jw-request-remaining"


@dataclass(frozen=True)
class BudgetStats:
    """A snapshot of one budget, as ``client.budget`` shows it.

    Attributes:
        limit: Requests allowed per period (the server's header wins over the
            configured value).
        period: The window length in seconds.
        remaining: Best estimate of requests that may leave now.
        in_flight: Requests sent and not yet answered.
        waiting: Requests queued on the budget.
        sent: Requests that left, retries included.
        throttled: 429 answers received.
        waits: Requests that had to queue before leaving.
        wait_time: Seconds spent queued, summed over requests.
        foreign: Slots currently held for another user of the secret.
        foreign_total: Requests by others seen through the headers, in all.
        paused_until_in: Seconds until a 429 pause ends (0 when none).
    """

    limit: int | None
    period: float
    remaining: int | None
    in_flight: int
    waiting: int
    sent: int
    throttled: int
    waits: int
    wait_time: float
    foreign: int
    foreign_total: int
    paused_until_in: float

    @property
    def foreign_share(self) -> float:
        """Fraction of the limit currently held for others (0.0 to 1.0)."""
        if not self.limit:
            return 0.0
        return min(1.0, self.foreign / self.limit)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    """Parse a non-negative integer header; None for missing or garbled values."""
    raw = headers.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    return int(raw)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` value into seconds from now.

    Accepts delta-seconds (integer or decimal) and an HTTP date. Dates in the past
    give 0. Anything unparseable, negative or not finite gives None.

    Args:
        value: The header value, or None.
        now: The current Unix time (defaults to ``time.time()``); for dates only.

    Returns:
        Seconds to wait, or None when the value says nothing usable.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class _Held(NamedTuple):
    """An answered slot, ordered by when it frees."""

    release_at: float
    seq: int
    foreign: bool
    # How many requests had left when the answer came: orders answers against
    # sends even when both happen at the same clock reading.
    answered_after: int
    sent_at: float
    # Whether the server surely counted it: a success, not a 429, an error or a
    # request that got no answer. Only these can show it forgetting early.
    counted: bool


class Slot:
    """One admission: held from the moment a request leaves until it is settled.

    Use as ``async with budget.slot() as slot:`` and call :meth:`settle` with the
    response; leaving the block without settling (an exception, a cancellation)
    counts the request as possibly received.
    """

    __slots__ = ("_budget", "_settled", "seq")

    def __init__(self, budget: Budget, seq: int) -> None:
        self._budget = budget
        self.seq = seq
        self._settled = False

    def settle(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Record the response to this request.

        Args:
            status: The HTTP status.
            headers: The response headers (case-insensitive mapping preferred).

        Returns:
            For a 429, the server's ``Retry-After`` in seconds when it sent one.
        """
        if self._settled:
            return None
        self._settled = True
        return self._budget._settle(self.seq, status, headers)

    def release(self) -> None:
        """Give the slot back at once: the request never left this machine."""
        if not self._settled:
            self._settled = True
            self._budget._release(self.seq)

    def abandon(self) -> None:
        """Record that no response arrived (the request may still have counted)."""
        if not self._settled:
            self._settled = True
            self._budget._settle(self.seq, None, None)

    async def __aenter__(self) -> Slot:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abandon()


class Budget:
    """A shared allowance of requests per period, re-synced from response headers.

    Args:
        rate_limit: The configured limit, period and burst; None turns client-side
            pacing off (429 pauses still apply).
        name: A label for log lines (never the secret).
    """

    def __init__(self, rate_limit: RateLimit | None, *, name: str = "budget") -> None:
        self.config = rate_limit
        self._enforce = rate_limit is not None
        config = rate_limit or RateLimit()
        self._limit = config.limit
        self._period = config.period
        self._max_wait = config.max_wait
        burst = config.effective_burst
        self._shaper: AsyncLimiter | None = None
        if self._enforce and burst < config.limit:
            self._shaper = AsyncLimiter(burst, burst * config.period / config.limit)
        self.name = name

        self._held: list[_Held] = []  # a heap of answered slots
        self._in_flight: dict[int, float] = {}  # seq -> send time, in send order
        self._recent: deque[float] = deque()  # release times of slots freed lately
        self._reserved = 0  # woken waiters that have not resumed yet
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None

        self._seq = 0
        self._synced_seq = 0
        self._probe = True  # one request at a time until a response re-syncs us
        # Sends the newest answer's jw-request-remaining still allows, less those
        # made since; at zero only a lone probe may leave to learn more.
        self._clamp = math.inf
        # When the server said it had no room: a lone request may ask again once a
        # slot held at that answer has freed.
        self._clamp_reopens = -math.inf
        self._paused_until = 0.0
        self._streak_429 = 0
        self._pause_seq = 0  # requests sent up to here left before the pause
        self._synced_at = -math.inf
        # When the newest applied answer's request left.
        self._synced_sent_at = -math.inf
        # Times (lo, hi] known to hold a restart of the server's window: it was seen
        # forgetting requests of ours that a sliding window would still count. If
        # windows restart every period, one restarts in each (lo, hi] + k * period.
        self._restart: tuple[float, float] | None = None
        self._restart_sighted = False  # seen forgetting, not only guessed from 429s
        self._restart_probe_seq = 0
        self._restart_probe_sent = -math.inf
        # (time, count) of requests by others, seen in headers or through a 429.
        self._foreign_seen: deque[tuple[float, int]] = deque()
        self._last_wait_log = -math.inf

        self._sent = 0
        self._throttled = 0
        self._waits = 0
        self._wait_time = 0.0
        self._foreign_total = 0

    def __repr__(self) -> str:
        return (
            f"<Budget {self.name} limit={self._limit}/{self._period:g}s "
            f"held={len(self._held)} in_flight={len(self._in_flight)} "
            f"waiting={len(self._waiters)}>"
        )

    # -- public ------------------------------------------------------------------

    @property
    def limit(self) -> int:
        """Requests allowed per period (the server's header wins once seen)."""
        return self._limit

    @property
    def period(self) -> float:
        """The window length in seconds."""
        return self._period

    def stats(self) -> BudgetStats:
        """Return a snapshot of this budget's state and counters."""
        now = self._now()
        self._expire(now)
        remaining: int | None = None
        if self._enforce:
            room = self._capacity(now) - self._used()
            remaining = max(0, int(min(room, self._clamp - self._reserved)))
        return BudgetStats(
            limit=self._limit if self._enforce else None,
            period=self._period,
            remaining=remaining,
            in_flight=len(self._in_flight),
            waiting=sum(1 for f in self._waiters if not f.done()),
            sent=self._sent,
            throttled=self._throttled,
            waits=self._waits,
            wait_time=self._wait_time,
            foreign=sum(1 for entry in self._held if entry.foreign),
            foreign_total=self._foreign_total,
            paused_until_in=max(0.0, self._paused_until - now),
        )

    def slot(self, *, retry: bool = False) -> _SlotRequest:
        """Wait for room and take a slot: ``async with budget.slot() as slot``.

        Args:
            retry: The request is a retry; it skips burst shaping and goes to the
                front of the queue (it has waited its turn once already).
        """
        return _SlotRequest(self, retry)

    async def acquire(self, *, retry: bool = False) -> Slot:
        """Wait until a request may leave, then take a slot for it.

        Args:
            retry: The request is a retry (see :meth:`slot`).

        Returns:
            The slot; settle it with the response, or abandon it.

        Raises:
            BudgetTimeoutError: The wait exceeded ``RateLimit.max_wait`` (it is
                also a ``TimeoutError``).
        """
        loop = self._bind()
        if self._shaper is not None and not retry:
            await self._shaper.acquire()
        now = loop.time()
        if not self._waiters and self._can_admit(now):
            return self._take()
        return await self._wait_in_line(loop, now, retry)

    # -- waiting -------------------------------------------------------------------

    async def _wait_in_line(
        self, loop: asyncio.AbstractEventLoop, started: float, retry: bool
    ) -> Slot:
        waiter: asyncio.Future[None] = loop.create_future()
        if retry:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        self._log_wait(started)
        self._wake()
        try:
            if self._max_wait is None:
                await waiter
            else:
                async with asyncio.timeout(self._max_wait):
                    await waiter
        except TimeoutError:
            self._give_back(waiter)
            raise BudgetTimeoutError(
                f"{self.name}: no room within max_wait={self._max_wait:g}s"
            ) from None
        except BaseException:
            self._give_back(waiter)
            raise
        self._reserved -= 1
        self._waits += 1
        self._wait_time += loop.time() - started
        return self._take()

    def _give_back(self, waiter: asyncio.Future[None]) -> None:
        if self._loop is None or self._loop.is_closed():
            return  # a task torn down with its loop: there is no one left to wake
        if waiter.done() and not waiter.cancelled():
            # Woken, but cancelled before it could resume: the slot goes on.
            self._reserved -= 1
        else:
            waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
        self._wake()

    def _log_wait(self, now: float) -> None:
        if now - self._last_wait_log >= self._period:
            self._last_wait_log = now
            logger.info(
                "%s: waiting for room (%d queued, %d held of %d, resume in %.2fs)",
                self.name,
                len(self._waiters),
                len(self._held) + len(self._in_flight),
                self._limit,
                max(0.0, self._next_event(now) - now)
                if self._next_event(now) < math.inf
                else 0.0,
            )

    # -- admission ---------------------------------------------------------------

    def _now(self) -> float:
        loop = self._loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return time.monotonic()
        return loop.time()

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(
                "this budget belongs to another event loop; create clients inside "
                "the loop that uses them"
            )
        return loop

    def _used(self) -> int:
        return len(self._held) + len(self._in_flight) + self._reserved

    def _expire(self, now: float, *, keep_after: float = math.inf) -> None:
        held = self._held
        recent = self._recent
        while held and held[0].release_at <= now + _EPSILON:
            recent.append(heapq.heappop(held).release_at)
        # Keep freed slots only while a request sent before they freed is unanswered
        # (or is being settled: ``keep_after`` is its send time).
        oldest = min(next(iter(self._in_flight.values()), math.inf), keep_after)
        while recent and recent[0] <= oldest:
            recent.popleft()

    def _can_admit(self, now: float) -> bool:
        if now + _EPSILON < self._paused_until:
            return False
        if self._probe and (self._in_flight or self._reserved):
            return False
        if not self._enforce:
            return True
        self._expire(now)
        if self._clamped(now):
            return False
        if self._used() < self._capacity(now):
            return True
        return self._lone() and now + _EPSILON >= self._restart_probe_due(now)

    def _lone(self) -> bool:
        return not self._in_flight and not self._reserved

    def _restart_probe_due(self, now: float) -> float:
        """When a lone request may ask whether the server's window has restarted.

        The log holds a slot for a full period, which is too cautious for a
        server that restarts its window (or refills a bucket) sooner. Once it
        has been seen doing so (``_restart``), one request may go at the next
        likely restart, even while the log is full, to learn the fresh count.
        Its answer releases the forgotten slots and narrows down the restart
        time; a 429 narrows it the other way. While the restart is known only
        roughly the probe aims at the middle (one lone probe at a time while it
        learns); once known to a sixteenth of a period, or while nobody else
        uses the secret, just after it (where a 429 cannot happen).

        With no sighting yet, a probe goes half a period after the newest
        answer's request left, but only while others use the secret (alone, the
        log's caution costs little, and a probe that finds no room would be a
        429 for nothing) and only into a slot held for them: our own sends
        never exceed the limit in a period without a sighting. A refused one
        leaves a guess (the window restarts within a period of the newest
        answer, after the probe) that later probes narrow, under the same rule.
        """
        if self._restart is None or not self._restart_sighted:
            # Without a sighting, only into a slot held for others: a sliding
            # window would refuse one beyond our own limit.
            own = len(self._in_flight) + sum(1 for e in self._held if not e.foreign)
            if (
                own >= self._limit
                or not self._in_company(now)
                or self._synced_sent_at == -math.inf
            ):
                return math.inf
        if self._restart is None:
            after = max(self._synced_sent_at, self._restart_probe_sent)
            return after + self._period / 2
        lo, hi = self._restart
        learn = hi - lo > self._period / 16 and self._in_company(now)
        aim = (lo + hi) / 2 if learn else hi
        after = max(self._synced_sent_at, self._restart_probe_sent, hi)
        return aim + (math.floor((after - aim) / self._period) + 1) * self._period

    def _clamped(self, now: float) -> bool:
        """Whether the newest ``jw-request-remaining``, less what left since, says wait.

        While an answer is on its way, it will tell. With nothing in flight a lone
        request may go (when the log has room) to learn the server's count
        afresh, once the server may have room again: when a slot held at that
        answer frees, or at a likely window restart.
        """
        if self._clamp > self._reserved:
            return False
        if self._in_flight or self._reserved:
            return True
        return now + _EPSILON < self._clamp_wait(now)

    def _clamp_wait(self, now: float) -> float:
        return min(self._clamp_reopens, self._restart_probe_due(now))

    def _capacity(self, now: float) -> int:
        """The limit, less what others are likely to have spent since we last heard.

        Between two answers another user of the secret keeps spending unseen. At
        the rate seen over the last period, hold back that share of the time since
        the last re-sync: nothing while answers come often, most of the allowance
        for others after a long silence (when a whole window is about to free).
        """
        rate = self._foreign_rate(now)
        if not rate:
            return self._limit
        silence = min(1.0, (now - self._synced_at) / self._period)
        return max(1, self._limit - math.ceil(rate * silence))

    def _in_company(self, now: float) -> bool:
        """Whether others used at least a twentieth of the limit over the last period.

        A stray 429 is not company: it takes a few requests by others to make
        probing for room worth its 429s.
        """
        return self._foreign_rate(now) >= max(2, self._limit // 20)

    def _note_foreign(self, now: float, count: int) -> None:
        self._foreign_total += count
        self._foreign_seen.append((now, count))

    def _foreign_rate(self, now: float) -> int:
        """Requests by others seen in the last period."""
        seen = self._foreign_seen
        while seen and seen[0][0] <= now - self._period:
            seen.popleft()
        return sum(count for _, count in seen)

    def _take(self) -> Slot:
        self._clamp -= 1
        self._seq += 1
        now = self._now()
        if self._enforce and (
            self._used() >= self._capacity(now)
            or (self._clamp < 0 and now + _EPSILON < self._clamp_reopens)
        ):
            # Only a restart probe leaves while the log is full, or before a slot
            # frees when the server said it had no room.
            self._restart_probe_seq = self._seq
            self._restart_probe_sent = now
        self._in_flight[self._seq] = now
        self._sent += 1
        return Slot(self, self._seq)

    def _wake(self) -> None:
        """Grant one waiter per free slot, then arm the timer for the next event."""
        now = self._now()
        waiters = self._waiters
        while waiters:
            head = waiters[0]
            if head.done():
                waiters.popleft()
                continue
            if not self._can_admit(now):
                break
            waiters.popleft()
            self._reserved += 1
            head.set_result(None)
        if waiters:
            self._arm(self._next_event(now))
        else:
            self._arm(math.inf)

    def _next_event(self, now: float) -> float:
        if now + _EPSILON < self._paused_until:
            return self._paused_until
        if self._probe and (self._in_flight or self._reserved):
            return math.inf  # the probe's response will wake us
        if self._clamped(now):
            if self._in_flight or self._reserved:
                return math.inf  # an answer will re-sync the clamp
            return self._clamp_wait(now)
        if self._enforce and self._used() >= self._capacity(now):
            frees = self._held[0].release_at if self._held else math.inf
            if self._lone():
                return min(frees, self._restart_probe_due(now))
            return frees
        return math.inf  # only in-flight requests hold slots; a response wakes us

    def _arm(self, when: float) -> None:
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when < math.inf and self._loop is not None:
            self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self._wake()

    # -- responses -----------------------------------------------------------------

    def _settle(
        self, seq: int, status: int | None, headers: Mapping[str, str] | None
    ) -> float | None:
        now = self._now()
        sent_at = self._in_flight.pop(seq, now)
        retry_after: float | None = None
        # Every request that left holds its slot for a period, a 429 too: whether
        # the server counts refused calls is not documented, so assume it does.
        heapq.heappush(
            self._held,
            _Held(
                now + self._period,
                seq,
                False,
                self._seq,
                sent_at,
                status is not None and 200 <= status < 400,
            ),
        )
        if status == 429:
            retry_after = self._on_throttled(seq, now, headers or {})
        elif status is not None:
            self._probe = False
            self._streak_429 = 0
        if headers is not None:
            self._sync(seq, sent_at, now, headers, throttled=status == 429)
        self._wake()
        return retry_after

    def _release(self, seq: int) -> None:
        self._in_flight.pop(seq, None)
        self._sent -= 1
        self._wake()

    def _on_throttled(
        self, seq: int, now: float, headers: Mapping[str, str]
    ) -> float | None:
        # The server did not run the call, and the window is full by its count:
        # everyone waits, then one probe asks for a fresh count.
        self._throttled += 1
        self._probe = True
        retry_after = parse_retry_after(headers.get("retry-after"))
        if seq <= self._pause_seq:
            # Sent before the current pause began: no news, only its Retry-After.
            if retry_after is not None:
                until = now + min(retry_after, 2 * self._period)
                self._paused_until = max(self._paused_until, until)
            return retry_after
        if seq == self._restart_probe_seq:
            self._restart_refused(self._restart_probe_sent)
        elif not self._streak_429:
            self._note_foreign(now, 1)  # we saw room the server did not have
        self._streak_429 += 1
        self._pause_seq = self._seq
        drip = self._period / max(1, self._limit)
        backoff = min(self._period, drip * 2 ** min(self._streak_429 - 1, 30))
        restart = self._restart_probe_due(now) if self._restart_sighted else math.inf
        if retry_after is None and restart < math.inf:
            # A server seen restarting its window has room again at the restart,
            # not before: wait for it, instead of asking again and again.
            backoff = max(drip, restart - now)
        # Honour Retry-After, but never park every caller of the secret for longer
        # than two periods on one answer: the probe after that asks again, and a
        # server that still refuses says so with another 429.
        pause = min(max(backoff, retry_after or 0.0), 2 * self._period)
        self._paused_until = max(self._paused_until, now + pause)
        logger.info(
            "%s: 429 received (%d so far); pausing all requests for %.2fs",
            self.name,
            self._throttled,
            pause,
        )
        return retry_after

    def _sync(
        self,
        seq: int,
        sent_at: float,
        now: float,
        headers: Mapping[str, str],
        *,
        throttled: bool,
    ) -> None:
        """Re-sync the log from ``jw-request-limit`` / ``jw-request-remaining``."""
        limit = _header_int(headers, _LIMIT_HEADER)
        if limit is not None and limit >= 1 and limit != self._limit:
            logger.info(
                "%s: server limit is %d per period (was %d)",
                self.name,
                limit,
                self._limit,
            )
            self._limit = limit
        remaining = _header_int(headers, _REMAINING_HEADER)
        if remaining is None or remaining > self._limit:
            return
        if throttled or not self._enforce:
            return  # a 429 says "none left", and the pause already acts on it
        self._expire(now, keep_after=sent_at)
        spent = self._limit - remaining
        restarted_after = self._release_forgotten(seq, spent - 1, now)
        if restarted_after is not None:
            self._restart_seen(restarted_after, now)
        if seq < self._synced_seq:
            return  # older than an answer already applied: it says less
        self._synced_seq = seq
        self._synced_at = now
        self._synced_sent_at = sent_at
        # Requests still in flight, and those answered after this one left, may
        # have reached the server after it: its count need not include them.
        uncounted = len(self._in_flight) + sum(
            1
            for e in self._held
            if not e.foreign and e.answered_after >= seq and e.seq != seq
        )
        self._clamp = remaining - uncounted
        # "None left" holds until a slot frees, unless one freed since it left.
        full = remaining == 0 and self._held and not self._expired_since(sent_at)
        self._clamp_reopens = self._held[0].release_at if full else -math.inf
        explained = (
            len(self._held) + len(self._in_flight) + self._expired_since(sent_at)
        )
        if spent > explained:
            self._hold_foreign(spent - explained, now, seq)

    def _release_forgotten(self, seq: int, bound: int, now: float) -> float | None:
        """Release slots the server says it no longer counts.

        Slots answered before this request left were all counted by the server
        before it counted this one, so at most ``bound`` (what it reports spent,
        less this request) can still be in its window. Slots answered later, or
        still in flight, may or may not be in that figure and are kept.

        Returns:
            When the server counts fewer than our requests of the last period
            answered before this one left (a sliding window would count them
            all), it restarted or refilled its window after the oldest of them it
            forgot had left: that send time. Otherwise None.
        """
        before = [entry for entry in self._held if entry.answered_after < seq]
        surplus = len(before) - max(0, bound)
        if surplus <= 0:
            return None
        # Which of them the server forgot is unknown: drop others' slots first,
        # so that our own count (which caps company probes) is never too low.
        drop = set(heapq.nsmallest(surplus, before, key=lambda e: (not e.foreign, e)))
        self._held = [entry for entry in self._held if entry not in drop]
        heapq.heapify(self._held)
        recent = now - self._period + self._period / 50
        sends = sorted(
            e.sent_at
            for e in before
            if e.counted and not e.foreign and e.sent_at > recent
        )
        forgotten = len(sends) - max(0, bound)
        return sends[forgotten - 1] if forgotten > 0 else None

    def _restart_seen(self, lo: float, hi: float) -> None:
        """Narrow down when the server restarts its window: one restart is in (lo, hi].

        Intervals from earlier sightings are moved by whole periods onto this
        one and intersected; if they do not meet, the server does not restart
        every period at one phase, and the newest sighting starts afresh.
        """
        if self._restart is not None:
            old_lo, old_hi = self._restart
            shift = math.ceil((old_hi - lo) / self._period) - 1
            old_lo, old_hi = (
                old_lo - shift * self._period,
                old_hi - shift * self._period,
            )
            if max(lo, old_lo) < min(hi, old_hi):
                lo, hi = max(lo, old_lo), min(hi, old_hi)
        self._restart = (lo, hi)
        self._restart_sighted = True

    def _restart_refused(self, sent_at: float) -> None:
        """A restart probe got a 429: no restart came between its period's and it."""
        if self._restart is None:
            # A window that restarts every period restarts within a period of
            # the newest answer; not before this probe, then. A guess only,
            # until a sighting confirms it.
            if sent_at < self._synced_sent_at + self._period - _EPSILON:
                self._restart = (sent_at, self._synced_sent_at + self._period)
                self._restart_sighted = False
            return
        lo, hi = self._restart
        shift = math.floor((sent_at - lo) / self._period)
        sent_at -= shift * self._period  # now in [lo, lo + period)
        if sent_at >= hi - _EPSILON:
            # Refused after the latest time a restart fits: no restart every period.
            self._restart = None
            self._restart_sighted = False
        else:
            self._restart = (max(lo, sent_at), hi)

    def _expired_since(self, sent_at: float) -> int:
        """Slots freed after ``sent_at``: the server may still have counted them."""
        return sum(1 for release_at in self._recent if release_at > sent_at)

    def _hold_foreign(self, count: int, now: float, seq: int) -> None:
        self._note_foreign(now, count)
        for _ in range(count):
            heapq.heappush(
                self._held, _Held(now + self._period, seq, True, self._seq, now, True)
            )


class _SlotRequest:
    """The awaitable returned by :meth:`Budget.slot`."""

    __slots__ = ("_budget", "_retry", "_slot")

    def __init__(self, budget: Budget, retry: bool) -> None:
        self._budget = budget
        self._retry = retry
        self._slot: Slot | None = None

    async def __aenter__(self) -> Slot:
        self._slot = await self._budget.acquire(retry=self._retry)
        return self._slot

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._slot is not None:
            self._slot.abandon()


_registry: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], Budget]
] = weakref.WeakKeyDictionary()


def secret_key(secret: str) -> str:
    """A short, non-reversible label for a secret (safe to log or use as a key)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def budget_for(secret: str, base_url: str, rate_limit: RateLimit | None) -> Budget:
    """Return the budget shared by every client of this secret in this loop.

    The first client to ask sets the budget's configuration; a later client with
    another ``RateLimit`` shares the existing budget (a warning says so).
    """
    loop = asyncio.get_running_loop()
    budgets = _registry.setdefault(loop, {})
    key = (base_url, secret_key(secret))
    budget = budgets.get(key)
    if budget is None:
        budget = Budget(rate_limit, name=f"secret {key[1][:8]}")
        budgets[key] = budget
    elif budget.config != rate_limit:
        logger.warning(
            "%s: already in use with another RateLimit; the first one stays in force",
            budget.name,
        )
    return budget
