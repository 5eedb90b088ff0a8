"""Property tests for the budget: random schedules on a virtual clock."""

from __future__ import annotations

import asyncio
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwasync._budget import Budget
from jwasync._config import RateLimit
from jwasync.testing import ServerModel, make_budget, max_in_window, run_virtual

LIMIT = 5
PERIOD = 10.0

header_value = st.one_of(
    st.none(),  # header missing
    st.sampled_from(["", "abc", "-1", "1e3", "NaN", "2x", "99999"]),  # all invalid
    st.integers(min_value=0, max_value=LIMIT),  # clamped to the truth below
)

request = st.tuples(
    st.floats(min_value=0, max_value=30, allow_nan=False),  # arrival
    st.floats(min_value=0.001, max_value=3, allow_nan=False),  # latency
    header_value,
    st.sampled_from([200, 200, 200, 200, 404, 500, 429]),
    st.booleans(),  # cancelled while waiting?
)


def run_schedule(
    schedule: list[tuple[float, float, object, int, bool]],
) -> tuple[list[float], float, int]:
    async def main() -> tuple[list[float], float, int]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        budget = Budget(RateLimit(LIMIT, PERIOD))
        sends: list[float] = []
        answered: list[float] = []  # response times of our requests

        def true_remaining(now: float) -> int:
            # What a sliding-window server that counted at arrival could say, at
            # most: the header may claim less (others), never more.
            in_window = sum(1 for s in sends if s > now - PERIOD)
            return max(0, LIMIT - in_window)

        async def one(
            arrival: float, latency: float, value: object, status: int, cancel: bool
        ) -> None:
            await asyncio.sleep(arrival)
            async with budget.slot() as slot:
                now = loop.time()
                sends.append(now)
                await asyncio.sleep(latency)
                headers = {"jw-request-limit": str(LIMIT)}
                if isinstance(value, int):
                    value = min(value, true_remaining(now))
                if value is not None:
                    headers["jw-request-remaining"] = str(value)
                answered.append(loop.time())
                slot.settle(status, headers)

        tasks = [asyncio.ensure_future(one(*r)) for r in schedule]
        for task, (arrival, *_, cancel) in zip(tasks, schedule, strict=True):
            if cancel:
                loop.call_later(arrival + 1.0, task.cancel)
        await asyncio.gather(*tasks, return_exceptions=True)
        stats = budget.stats()
        return [s - start for s in sends], loop.time() - start, stats.waiting

    return run_virtual(main())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(request, min_size=1, max_size=40))
def test_sends_never_exceed_the_limit_and_nobody_is_stranded(
    schedule: list[tuple[float, float, object, int, bool]],
) -> None:
    sends, elapsed, waiting = run_schedule(schedule)
    # Safety: in any window of one period, at most `limit` of our sends.
    assert max_in_window(sends, PERIOD) <= LIMIT
    # Liveness: everyone finished (a stranded waiter would leave the virtual loop
    # idle, which raises) and in bounded time: every batch of `limit` sends needs
    # at most a period plus its slowest answer, plus 429 pauses (each at most
    # one period, doubling from a drip, so the 429s here cost a few periods);
    # an answer saying nothing remains may hold the next send back as long.
    assert waiting == 0
    n = len(schedule)
    throttles = sum(1 for r in schedule if r[3] == 429)
    spent = sum(1 for r in schedule if r[2] == 0)
    batches = math.ceil(n / LIMIT) + 1 + spent
    bound = 30 + batches * (PERIOD + 3) + throttles * PERIOD
    assert elapsed <= bound


def run_against(
    model: ServerModel, offset: float, schedule: list[tuple[float, float]]
) -> tuple[int, int]:
    """Requests at ``schedule`` (arrival, latency) against a truthful server model.

    Returns:
        429s received, and requests still waiting at the end.
    """

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        budget = Budget(RateLimit(LIMIT, PERIOD))
        server = make_budget(model, LIMIT, PERIOD, offset=loop.time() + offset)
        throttled = 0

        async def one(arrival: float, latency: float) -> None:
            nonlocal throttled
            await asyncio.sleep(arrival)
            while True:
                async with budget.slot() as slot:
                    await asyncio.sleep(latency / 2)
                    decision = server.try_acquire(loop.time())
                    await asyncio.sleep(latency / 2)
                    status = 200 if decision.accepted else 429
                    slot.settle(
                        status,
                        {
                            "jw-request-limit": str(LIMIT),
                            "jw-request-remaining": str(decision.remaining),
                        },
                    )
                if decision.accepted:
                    return
                throttled += 1

        await asyncio.gather(*(one(*r) for r in schedule))
        return throttled, budget.stats().waiting

    return run_virtual(main())


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["sliding", "fixed", "bucket"]),
    st.floats(min_value=0, max_value=PERIOD, allow_nan=False),
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=40, allow_nan=False),
            st.floats(min_value=0.001, max_value=2, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_alone_on_a_truthful_server_no_request_is_refused(
    model: ServerModel, offset: float, schedule: list[tuple[float, float]]
) -> None:
    # Alone on the secret, with honest headers, every rule (the log, the clamp,
    # early release, restart probes) keeps every request within the server's
    # limit, whichever way the server counts.
    throttled, waiting = run_against(model, offset, schedule)
    assert (throttled, waiting) == (0, 0)
