"""The budget against simulated servers, on a virtual clock (milliseconds per job).

The same job as ``budget.py`` (N requests, W workers) but with no sockets: the
client's :class:`jwasync._budget.Budget` talks to the fake's pure rate-limit models
(``jwasync.testing.make_budget``) with random latency and an optional invisible
consumer, on :class:`jwasync.testing.VirtualTimeLoop`. It is for exploring the
budget's rules quickly across many seeds; ``budget.py`` is the real measurement
over HTTP.

Run: ``python benchmarks/simulate.py --seeds 20``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from jwasync._budget import Budget
from jwasync._config import RateLimit
from jwasync.testing import (
    Decision,
    ServerModel,
    make_budget,
    max_in_window,
    run_virtual,
)


@dataclass
class Outcome:
    throttled: int
    elapsed: float
    least: float
    worst_window: int
    foreign_rejected: int


async def job(
    model: ServerModel,
    *,
    requests: int = 300,
    workers: int = 20,
    limit: int = 60,
    period: float = 60.0,
    foreign: float = 0.0,
    latency: tuple[float, float] = (0.02, 0.3),
    seed: int = 0,
    plain: bool = False,
) -> Outcome:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    server = make_budget(model, limit, period, offset=rng.random() * period)
    budget = Budget(RateLimit(limit, period))
    accepted: list[float] = []
    throttled = 0
    foreign_rejected = 0
    started = loop.time()
    todo = list(range(requests))

    async def other() -> None:
        nonlocal foreign_rejected
        if not foreign:
            return
        gap = period / (limit * foreign)
        await asyncio.sleep(rng.random() * gap)
        owed = 0
        while True:
            owed += 1  # what it is refused it tries again next time, as the fake
            while owed:
                if not server.try_acquire(loop.time()).accepted:
                    foreign_rejected += 1
                    break
                owed -= 1
            await asyncio.sleep(gap)

    limiter = AsyncLimiter(limit, period)

    async def exchange() -> Decision:
        """One round trip: half-way there, the server counts it; then back."""
        nonlocal throttled
        delay = rng.uniform(*latency)
        there = delay * rng.random()
        await asyncio.sleep(there)
        decision = server.try_acquire(loop.time())
        if decision.accepted:
            accepted.append(loop.time())
        else:
            throttled += 1
        await asyncio.sleep(delay - there)
        return decision

    async def plain_call(attempt: int) -> bool:
        async with limiter:
            decision = await exchange()
        if not decision.accepted:
            # tenacity's wait_random_exponential(multiplier=period/limit, max=period)
            ceiling = min(period, period / limit * 2**attempt)
            await asyncio.sleep(rng.uniform(0, ceiling))
        return decision.accepted

    async def call(attempt: int) -> bool:
        if plain:
            return await plain_call(attempt)
        async with budget.slot(retry=False) as slot:
            decision = await exchange()
            headers = {
                "jw-request-limit": str(limit),
                "jw-request-remaining": str(decision.remaining),
            }
            slot.settle(200 if decision.accepted else 429, headers)
            return decision.accepted

    async def worker() -> None:
        while todo:
            todo.pop()
            for attempt in range(20):
                if await call(attempt):
                    break

    background = asyncio.ensure_future(other())
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = loop.time() - started
    background.cancel()
    least = max(0, math.ceil(requests / limit) - 1) * period
    return Outcome(
        throttled=throttled,
        elapsed=elapsed,
        least=least,
        worst_window=max_in_window(accepted, period),
        foreign_rejected=foreign_rejected,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--models", default="sliding,fixed,bucket")
    parser.add_argument("--company", default="0,0.2,0.5")
    parser.add_argument("--plain", action="store_true", help="also run plain")
    parser.add_argument("--period", type=float, default=60.0)
    parser.add_argument(
        "--latency", default="0.02,0.3", help="low,high seconds (uniform)"
    )
    args = parser.parse_args(argv)
    low, high = (float(x) for x in args.latency.split(","))
    common = {"period": args.period, "latency": (low, high)}
    print(
        f"{'model':<8} {'other':>5} {'429s mean':>9} {'max':>4} {'time/least':>10}"
        + ("   plain: 429s  time/least" if args.plain else "")
    )
    for share in (float(s) for s in args.company.split(",")):
        for model in args.models.split(","):
            outcomes = [
                run_virtual(job(model, foreign=share, seed=seed, **common))  # type: ignore[arg-type]
                for seed in range(args.seeds)
            ]
            throttled = [o.throttled for o in outcomes]
            ratios = [o.elapsed / o.least for o in outcomes]
            line = (
                f"{model:<8} {share:>5.0%} {statistics.mean(throttled):>9.1f} "
                f"{max(throttled):>4} {statistics.mean(ratios):>9.3f}x"
            )
            if args.plain:
                plain = [
                    run_virtual(
                        job(model, foreign=share, seed=seed, plain=True, **common)  # type: ignore[arg-type]
                    )
                    for seed in range(args.seeds)
                ]
                line += (
                    f"   {statistics.mean(o.throttled for o in plain):>10.1f}"
                    f"  {statistics.mean(o.elapsed / o.least for o in plain):>9.3f}x"
                )
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
