"""``jwasync demo``: the main job, end to end, against the embedded fake API."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from .._client import JWPlatformClient
from .._config import RateLimit
from ..testing import FakeJWPlatform
from ._common import least_time, stderr
from ._media import export_library, update_library

__all__ = ["register", "run_demo"]

_SECRET = "demo-secret"  # noqa: S105 - the fake's own token, not a real secret
_SITE = "Demo1234"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = sub.add_parser(
        "demo", help="export and tag a 500-media library on the embedded fake API"
    )
    parser.add_argument("--media", type=int, default=500, help="library size (500)")
    parser.add_argument("--workers", type=int, default=20, help="concurrency (20)")
    parser.add_argument("--limit", type=int, default=60, help="requests per period")
    parser.add_argument("--period", type=float, default=2.0, help="seconds (2)")
    parser.add_argument(
        "--model", choices=("sliding", "fixed", "bucket"), default="sliding"
    )
    parser.add_argument(
        "--foreign", type=float, default=0.0, help="share used by another consumer"
    )
    parser.add_argument("--tag", default="jwasync-demo", help="tag to add")
    parser.add_argument(
        "--out", default="demo-export.jsonl", help="export file (demo-export.jsonl)"
    )
    parser.set_defaults(func=_run)


async def run_demo(args: argparse.Namespace) -> dict[str, Any]:
    """Run the demo job; return its figures (also printed as a table)."""
    stderr.print(
        f"Starting the embedded fake JW Platform API: [bold]{args.limit} requests "
        f"per {args.period:g}s[/] per secret ({args.model} window"
        + (f", another consumer using {args.foreign:.0%}" if args.foreign else "")
        + f"), seeded with {args.media} media."
    )
    async with FakeJWPlatform(
        tokens=(_SECRET,),
        limit=args.limit,
        period=args.period,
        model=args.model,
        latency=(0.005, 0.03),
        foreign_rate=args.foreign,
        seed=7,
    ) as fake:
        fake.seed_media(_SITE, args.media)
        async with JWPlatformClient(
            _SECRET,
            base_url=fake.url,
            rate_limit=RateLimit(args.limit, args.period),
        ) as jw:
            started = time.monotonic()
            out = Path(args.out)
            with out.open("w", encoding="utf-8") as sink:
                exported = await export_library(jw, _SITE, sink)
            changes = []
            with out.open(encoding="utf-8") as lines:
                for line in lines:
                    media = json.loads(line)
                    tags = list(media.get("metadata", {}).get("tags") or [])
                    if args.tag not in tags:
                        tags.append(args.tag)
                    changes.append({"id": media["id"], "metadata": {"tags": tags}})
            failed = await update_library(jw, _SITE, changes, workers=args.workers)
            elapsed = time.monotonic() - started
            stats = jw.budget
        server = fake.stats_for(_SECRET)
        stored = [fake.get_object(_SITE, "media", c["id"]) for c in changes]
        tagged = sum(
            1 for item in stored if item and args.tag in item["metadata"]["tags"]
        )
    least = least_time(stats.sent, args.limit, args.period)
    return {
        "exported": exported,
        "updated": len(changes) - len(failed),
        "failed": len(failed),
        "tagged_on_server": tagged,
        "requests": stats.sent,
        "throttled": stats.throttled,
        "server_accepted": server.accepted,
        "server_rejected": server.rejected,
        "max_in_window": server.max_in_window(),
        "elapsed": elapsed,
        "least": least,
        "out": str(out),
    }


def _print_summary(figures: dict[str, Any], args: argparse.Namespace) -> None:
    table = Table(title="jwasync demo", show_header=False)
    table.add_row("media exported", f"{figures['exported']} → {figures['out']}")
    table.add_row("media tagged", f"{figures['updated']} ({figures['failed']} failed)")
    table.add_row("requests sent", str(figures["requests"]))
    table.add_row("429s received", str(figures["throttled"]))
    table.add_row(
        f"most accepted in any {args.period:g}s",
        f"{figures['max_in_window']} (limit {args.limit}; a fixed window or bucket "
        "may accept more across its boundary)"
        if args.model != "sliding"
        else f"{figures['max_in_window']} (limit {args.limit})",
    )
    ratio = figures["elapsed"] / figures["least"] if figures["least"] else 1.0
    table.add_row(
        "time taken",
        f"{figures['elapsed']:.1f}s; least possible {figures['least']:.1f}s "
        f"({ratio:.2f}x)",
    )
    stderr.print(table)


async def _run(args: argparse.Namespace) -> int:
    figures = await run_demo(args)
    _print_summary(figures, args)
    return 1 if figures["failed"] else 0
