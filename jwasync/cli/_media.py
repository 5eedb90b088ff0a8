"""``jwasync media export`` and ``jwasync media update``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from rich.markup import escape

from .._client import JWPlatformClient
from .._errors import JWPlatformError
from .._paths import check_id
from ._common import (
    add_client_options,
    client_from_args,
    progress_bar,
    run_pool,
    stderr,
)

__all__ = ["export_library", "register", "update_library"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``media`` command and its ``export`` / ``update`` actions."""
    media = sub.add_parser("media", help="export or bulk-update a site's media")
    actions = media.add_subparsers(dest="action", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="write every media item as JSON lines")
    export.add_argument("--site", required=True, help="the site (property) id")
    export.add_argument(
        "--out", default="-", help="the JSONL file to write (default: stdout)"
    )
    export.add_argument("--q", default=None, help="a filter expression")
    add_client_options(export)
    export.set_defaults(func=_run_export)

    update = actions.add_parser(
        "update", help="PATCH media from a JSONL file of {id, metadata} lines"
    )
    update.add_argument("--site", required=True, help="the site (property) id")
    update.add_argument(
        "--from", dest="source", required=True, help="JSONL: one change per line"
    )
    update.add_argument(
        "--workers", type=int, default=20, help="concurrent requests (default 20)"
    )
    update.add_argument(
        "--failures", default=None, help="write the lines that failed to this file"
    )
    add_client_options(update)
    update.set_defaults(func=_run_update)


async def export_library(
    jw: JWPlatformClient, site_id: str, out: IO[str], *, q: str | None = None
) -> int:
    """Write every media item of a site to ``out`` as JSON lines; return the count."""
    first = await jw.media.list(site_id, page_length=1, q=q)
    count = 0
    with progress_bar() as progress:
        task = progress.add_task("exporting", total=first.total)
        async for item in jw.media.iterate(site_id, q=q):
            out.write(json.dumps(item, sort_keys=True) + "\n")
            count += 1
            progress.advance(task)
    return count


def _read_changes(path: str) -> list[dict[str, Any]]:
    changes = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                change = json.loads(line)
                check_id(change.get("id"), "id")
            except (ValueError, AttributeError) as exc:
                raise SystemExit(
                    f"{path}:{number}: not a change line ({exc})"
                ) from None
            body = {k: v for k, v in change.items() if k != "id"}
            if not body:
                raise SystemExit(f"{path}:{number}: nothing to change")
            changes.append(change)
    return changes


async def update_library(
    jw: JWPlatformClient,
    site_id: str,
    changes: list[dict[str, Any]],
    *,
    workers: int,
) -> list[tuple[dict[str, Any], BaseException]]:
    """PATCH each ``{"id": ..., <body>}`` change; return the ones that failed."""

    async def items() -> AsyncIterator[dict[str, Any]]:
        for change in changes:
            yield change

    async def patch(change: dict[str, Any]) -> None:
        body = {k: v for k, v in change.items() if k != "id"}
        await jw.media.update(site_id, change["id"], body)

    with progress_bar() as progress:
        task = progress.add_task("updating", total=len(changes))
        outcome = await run_pool(
            items(), patch, workers=workers, on_done=lambda: progress.advance(task)
        )
    return [(item, exc) for item, exc in outcome.failed]  # type: ignore[misc]


async def _run_export(args: argparse.Namespace) -> int:
    check_id(args.site, "site")
    started = time.monotonic()
    async with client_from_args(args) as jw:
        try:
            if args.out == "-":
                count = await export_library(jw, args.site, sys.stdout, q=args.q)
            else:
                with Path(args.out).open("w", encoding="utf-8") as out:
                    count = await export_library(jw, args.site, out, q=args.q)
        except JWPlatformError as exc:
            stderr.print(f"[red]export failed:[/] {escape(str(exc))}")
            return 1
        stats = jw.budget
    stderr.print(
        f"exported {count} media in {time.monotonic() - started:.1f}s "
        f"({stats.sent} requests, {stats.throttled} 429s)"
    )
    return 0


async def _run_update(args: argparse.Namespace) -> int:
    check_id(args.site, "site")
    changes = _read_changes(args.source)
    started = time.monotonic()
    async with client_from_args(args) as jw:
        failed = await update_library(jw, args.site, changes, workers=args.workers)
        stats = jw.budget
    stderr.print(
        f"updated {len(changes) - len(failed)} of {len(changes)} media in "
        f"{time.monotonic() - started:.1f}s ({stats.sent} requests, "
        f"{stats.throttled} 429s)"
    )
    for change, exc in failed[:10]:
        stderr.print(f"[red]failed[/] {change['id']}: {escape(str(exc))}")
    if args.failures and failed:
        with Path(args.failures).open("w", encoding="utf-8") as out:
            for change, _ in failed:
                out.write(json.dumps(change) + "\n")
    return 1 if failed else 0
