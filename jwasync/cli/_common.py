"""Pieces the sub-commands share: client options, a worker pool, progress, summaries."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .._client import SECRET_ENV, JWPlatformClient
from .._config import DEFAULT_BASE_URL, RateLimit

__all__ = [
    "Outcome",
    "add_client_options",
    "client_from_args",
    "least_time",
    "progress_bar",
    "run_pool",
    "stderr",
]

T = TypeVar("T")

stderr = Console(stderr=True, highlight=False)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--base-url``, ``--limit`` and ``--period`` to a sub-command."""
    parser.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        help=f"the API's origin (default {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--limit", type=int, default=60, help="requests per period (default 60)"
    )
    parser.add_argument(
        "--period", type=float, default=60.0, help="period in seconds (default 60)"
    )


def client_from_args(args: argparse.Namespace) -> JWPlatformClient:
    """Build a client from the options, the secret from the environment only."""
    if not os.environ.get(SECRET_ENV):
        stderr.print(f"[red]error:[/] set {SECRET_ENV} to your v2 API secret")
        raise SystemExit(2)
    return JWPlatformClient(
        base_url=args.base_url, rate_limit=RateLimit(args.limit, args.period)
    )


def progress_bar(*, transient: bool = False) -> Progress:
    """A progress bar on stderr, so stdout stays clean for data."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=transient,
        disable=not sys.stderr.isatty() and os.environ.get("JWASYNC_PROGRESS") != "1",
    )


@dataclass
class Outcome:
    """What a pool of work ended with."""

    done: int = 0
    failed: list[tuple[object, BaseException]] = field(default_factory=list)


async def run_pool(
    items: AsyncIterable[T],
    work: Callable[[T], Awaitable[None]],
    *,
    workers: int,
    on_done: Callable[[], None] = lambda: None,
) -> Outcome:
    """Run ``work`` on every item with at most ``workers`` at once.

    Items are pulled lazily through a bounded queue, so memory stays flat however
    many there are. A failing item is recorded and the rest go on.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue(maxsize=workers * 2)
    outcome = Outcome()

    async def worker() -> None:
        while (entry := await queue.get()) is not None:
            (item,) = entry
            try:
                await work(item)
            except Exception as exc:
                outcome.failed.append((item, exc))
            else:
                outcome.done += 1
            on_done()

    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
        try:
            async for item in items:
                await queue.put((item,))
        finally:
            for _ in range(workers):
                await queue.put(None)
    return outcome


def least_time(requests: int, limit: int, period: float) -> float:
    """The least time ``requests`` calls can take under ``limit`` per ``period``.

    With the whole allowance free at the start, the last batch of ``limit`` may
    leave ``ceil(requests / limit) - 1`` periods after the first.
    """
    if requests <= 0:
        return 0.0
    return max(0, math.ceil(requests / limit) - 1) * period
