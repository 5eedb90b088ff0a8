"""How well each strategy spends a shared allowance: jwasync vs the usual approaches.

Runs a job of N requests with W workers against jwasync's own fake API on loopback,
for every server model (sliding window, fixed window at a random offset, token
bucket) and every share of the secret taken by an invisible other consumer, side by
side for:

* ``jwasync``: JWPlatformClient with its budget (RateLimit(limit, period));
* ``plain``: aiolimiter.AsyncLimiter(limit, period) in front of aiohttp, with
  tenacity backing off exponentially (with jitter) on 429;
* ``pacing``: one request at a time, sleeping ``period / limit`` between them.

It prints, per scenario, 429s received and the time taken against the least
possible for the job (``(ceil(N / limit) - 1) * period``; with another consumer
the least possible is longer, so compare strategies within a row).

On a fixed window the result depends on where the job starts in the window:
one request too many for a window costs a whole period. Every strategy therefore
meets the same phase (set relative to the start of its own fake), and a sweep
over eight phases on fixed windows with a 20% consumer compares them across the
whole window.

A last scenario queues 1,000 coroutines at once on one jwasync client and reports
the most requests released at one instant (a herd shows up here), whether they
left in arrival order, and the memory held per waiting coroutine.

Run: ``python benchmarks/budget.py`` (about 15 minutes with the defaults; use
``--period`` to trade time for precision, ``--quick`` for one model and no
company).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import itertools
import math
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import tenacity
from aiolimiter import AsyncLimiter

from jwasync import JWPlatformClient, RateLimit, RetryPolicy
from jwasync._budget import Budget
from jwasync.testing import FakeJWPlatform

_runs = itertools.count(1)


def new_token() -> str:
    """A secret of its own for each run.

    Budgets are shared per (URL, secret) in an event loop, and the OS may hand a
    later fake the port of an earlier one: a shared secret would then carry one
    run's budget (and its RateLimit) into the next.
    """
    return f"bench-secret-{next(_runs)}"


SITE = "Bench123"


@dataclass
class Result:
    strategy: str
    model: str
    foreign: float
    requests: int
    throttled: int
    failed: int
    elapsed: float
    least: float
    max_in_window: int

    @property
    def ratio(self) -> float:
        return self.elapsed / self.least if self.least else math.inf


def least_time(requests: int, limit: int, period: float) -> float:
    return max(0, math.ceil(requests / limit) - 1) * period


async def run_workers(
    n: int, workers: int, one: Callable[[int], Awaitable[None]]
) -> int:
    """Run ``one(i)`` for i in range(n) on ``workers`` workers; return failures."""
    queue = list(range(n))
    queue.reverse()
    failed = 0

    async def worker() -> None:
        nonlocal failed
        while queue:
            i = queue.pop()
            try:
                await one(i)
            except Exception:
                failed += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return failed


async def strategy_jwasync(
    fake: FakeJWPlatform, ids: list[str], args: argparse.Namespace
) -> tuple[int, int]:
    async with JWPlatformClient(
        fake.tokens[0],
        base_url=fake.url,
        rate_limit=RateLimit(args.limit, args.period),
        retry=RetryPolicy(max_attempts=10),
    ) as jw:

        async def one(i: int) -> None:
            await jw.media.get(SITE, ids[i % len(ids)])

        failed = await run_workers(args.requests, args.workers, one)
        return jw.budget.throttled, failed


class _Throttled(Exception):
    pass


async def strategy_plain(
    fake: FakeJWPlatform, ids: list[str], args: argparse.Namespace
) -> tuple[int, int]:
    limiter = AsyncLimiter(args.limit, args.period)
    throttled = 0
    headers = {"Authorization": f"Bearer {fake.tokens[0]}"}
    async with aiohttp.ClientSession() as session:

        @tenacity.retry(
            retry=tenacity.retry_if_exception_type(_Throttled),
            wait=tenacity.wait_random_exponential(
                multiplier=args.period / args.limit, max=args.period
            ),
            stop=tenacity.stop_after_attempt(10),
            reraise=True,
        )
        async def one(i: int) -> None:
            nonlocal throttled
            async with limiter:
                url = f"{fake.url}/v2/sites/{SITE}/media/{ids[i % len(ids)]}/"
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    if response.status == 429:
                        throttled += 1
                        raise _Throttled
                    response.raise_for_status()

        failed = await run_workers(args.requests, args.workers, one)
    return throttled, failed


async def strategy_pacing(
    fake: FakeJWPlatform, ids: list[str], args: argparse.Namespace
) -> tuple[int, int]:
    throttled = 0
    failed = 0
    headers = {"Authorization": f"Bearer {fake.tokens[0]}"}
    gap = args.period / args.limit
    async with aiohttp.ClientSession() as session:
        for i in range(args.requests):
            url = f"{fake.url}/v2/sites/{SITE}/media/{ids[i % len(ids)]}/"
            for _ in range(10):
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    status = response.status
                await asyncio.sleep(gap)
                if status != 429:
                    break
                throttled += 1
            else:
                failed += 1
    return throttled, failed


STRATEGIES: dict[str, Callable[..., Awaitable[tuple[int, int]]]] = {
    "jwasync": strategy_jwasync,
    "plain": strategy_plain,
    "pacing": strategy_pacing,
}


async def run_one(
    strategy: str,
    model: str,
    foreign: float,
    args: argparse.Namespace,
    seed: int,
    phase: float | None = None,
) -> Result:
    if phase is None:
        phase = random.Random(seed).random()
    # Window boundaries sit at ``phase`` periods after this fake starts (the fake's
    # clock is the loop's), so each strategy meets the same phase.
    offset = asyncio.get_running_loop().time() + phase * args.period
    token = new_token()
    async with FakeJWPlatform(
        tokens=(token,),
        limit=args.limit,
        period=args.period,
        model=model,
        fixed_offset=offset,
        latency=(args.latency / 2, args.latency * 1.5),
        foreign_rate=foreign,
        seed=seed,
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 50)]
        started = time.monotonic()
        throttled, failed = await STRATEGIES[strategy](fake, ids, args)
        elapsed = time.monotonic() - started
        stats = fake.stats_for(token)
        return Result(
            strategy=strategy,
            model=model,
            foreign=foreign,
            requests=args.requests,
            throttled=throttled,
            failed=failed,
            elapsed=elapsed,
            least=least_time(args.requests, args.limit, args.period),
            max_in_window=stats.max_in_window(),
        )


def print_table(title: str, rows: list[Result]) -> None:
    print(f"\n{title}")
    print(
        f"{'strategy':<9} {'model':<8} {'other':>5} {'429s':>5} {'failed':>6} "
        f"{'time':>8} {'vs least':>8}"
    )
    for r in rows:
        print(
            f"{r.strategy:<9} {r.model:<8} {r.foreign:>5.0%} {r.throttled:>5} "
            f"{r.failed:>6} {r.elapsed:>7.1f}s {r.ratio:>7.2f}x"
        )
    sys.stdout.flush()


async def phase_sweep(args: argparse.Namespace, strategies: list[str]) -> None:
    """Fixed windows with a 20% consumer, the job started at each of N phases."""
    names = [s for s in strategies if s != "pacing"]
    results: dict[str, list[Result]] = {name: [] for name in names}
    print(f"\nfixed window, another at 20%, the job started at {args.phases} phases")
    heads = [f"{n + ' 429s':>13} {n + ' time':>13}" for n in names]
    print(f"{'phase':>5} " + " ".join(heads))
    for i in range(args.phases):
        phase = i / args.phases
        row = []
        for name in names:
            r = await run_one(name, "fixed", 0.2, args, args.seed, phase=phase)
            results[name].append(r)
            row.append(f"{r.throttled:>13} {r.ratio:>12.2f}x")
        print(f"{phase:>5.2f} " + " ".join(row))
        sys.stdout.flush()
    print(
        "mean  "
        + " ".join(
            f"{statistics.mean(r.throttled for r in results[n]):>13.1f} "
            f"{statistics.mean(r.ratio for r in results[n]):>12.2f}x"
            for n in names
        )
    )
    if len(names) > 1:
        first, *others = names
        for other in others:
            worst = max(
                a.ratio / b.ratio
                for a, b in zip(results[first], results[other], strict=True)
            )
            print(f"worst {first} time / {other} time over the phases: {worst:.2f}")


async def herd(args: argparse.Namespace) -> None:
    """1,000 coroutines queued at once on one client, over real HTTP."""
    n = 1000
    period = 1.0  # 60 a second keeps this part under half a minute
    wakes: list[tuple[int, int]] = []  # (granted, free slots) per wake-up
    original_wake = Budget._wake

    def counting_wake(budget: Budget) -> None:
        now = budget._now()
        budget._expire(now)
        free = max(0, budget._capacity(now) - budget._used())
        before = budget._reserved
        original_wake(budget)
        wakes.append((budget._reserved - before, free))

    token = new_token()
    async with FakeJWPlatform(
        tokens=(token,), limit=args.limit, period=period, model="sliding"
    ) as fake:
        ids = [m["id"] for m in fake.seed_media(SITE, 10)]
        async with JWPlatformClient(
            token, base_url=fake.url, rate_limit=RateLimit(args.limit, period)
        ) as jw:
            order: list[int] = []
            current: contextvars.ContextVar[int] = contextvars.ContextVar("i")
            original_take = Budget._take

            def recording_take(budget: Budget) -> Any:
                order.append(current.get(-1))
                return original_take(budget)

            async def one(i: int) -> None:
                current.set(i)
                await jw.media.get(SITE, ids[i % len(ids)])

            Budget._wake = counting_wake  # type: ignore[method-assign]
            Budget._take = recording_take  # type: ignore[method-assign]
            try:
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.take_snapshot()
                tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
                await asyncio.sleep(0.2)
                waiting = jw.budget.waiting
                after = tracemalloc.take_snapshot()
                tracemalloc.stop()
                grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
                started = time.monotonic()
                await asyncio.gather(*tasks)
                elapsed = time.monotonic() - started
            finally:
                Budget._wake = original_wake  # type: ignore[method-assign]
                Budget._take = original_take  # type: ignore[method-assign]
            stats = jw.budget
        server = fake.stats_for(token)
    overshoot = max((granted - free for granted, free in wakes), default=0)
    in_order = order == sorted(order)
    print(f"\n{n:,} coroutines queued at once on one client ({args.limit} per 1s)")
    print(f"  queued on the budget 0.2 s in: {waiting}")
    print(
        f"  memory per queued coroutine (its task, request and waiter): "
        f"{grown / max(1, waiting) / 1024:.1f} KiB"
    )
    print(
        f"  wake-ups: {len(wakes)}; most released at one wake-up: "
        f"{max((g for g, _ in wakes), default=0)}; released beyond the free "
        f"slots at any wake-up: {overshoot}"
    )
    print(f"  admitted in arrival order: {in_order} ({len(order)} admissions)")
    print(
        f"  429s: {stats.throttled}; most in any 1 s window at the server: "
        f"{server.max_in_window()} (limit {args.limit}); drained in {elapsed:.1f}s"
    )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--period", type=float, default=3.0)
    parser.add_argument("--latency", type=float, default=0.02, help="mean, seconds")
    parser.add_argument("--models", default="sliding,fixed,bucket")
    parser.add_argument("--company", default="0,0.2,0.5", help="others' shares")
    parser.add_argument("--strategies", default="jwasync,plain,pacing")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--phases", type=int, default=8, help="fixed-window sweep (0 skips it)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.company, args.phases = "sliding", "0", 0
    models = args.models.split(",")
    shares = [float(s) for s in args.company.split(",")]
    strategies = args.strategies.split(",")
    print(
        f"{args.requests} requests, {args.workers} workers, {args.limit} per "
        f"{args.period:g}s; least possible "
        f"{least_time(args.requests, args.limit, args.period):.1f}s"
    )
    for share in shares:
        rows = []
        for model in models:
            for strategy in strategies:
                if strategy == "pacing" and share:
                    continue  # pacing ignores company; one row per model is enough
                rows.append(await run_one(strategy, model, share, args, args.seed))
        print_table(f"another consumer at {share:.0%} of the limit", rows)
    if args.phases and "fixed" in models:
        await phase_sweep(args, strategies)
    await herd(args)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
