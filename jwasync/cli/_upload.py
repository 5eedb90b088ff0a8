"""``jwasync upload PATH... --site ID``: bulk uploads that survive a crash.

Files go up ``--concurrency`` at a time, each multipart file with
``--part-concurrency`` parts in flight. With ``--state FILE`` the job's progress is
kept in one JSON file (mode 0600: it holds upload tokens)::

    {"version": 1, "kind": "jwasync-upload-job", "site_id": "Abc12345",
     "files": {"/abs/a.mp4": {"status": "done", "media_id": "Ny05CEfj"},
               "/abs/b.mp4": {"status": "partial", "upload": {...UploadState...}}}}

Run the same command again after a crash or Ctrl-C: finished files are skipped and
partial multipart uploads resume, sending only their missing parts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .._errors import JWPlatformError
from .._paths import check_id
from .._upload_state import UploadState, read_private_json, write_private_json
from .._uploads import (
    DEFAULT_MULTIPART_THRESHOLD,
    DEFAULT_PART_SIZE,
    media_uploads,
)
from ._common import (
    add_client_options,
    client_from_args,
    progress_bar,
    run_pool,
    stderr,
)

__all__ = ["JobState", "register", "run"]

_KIND = "jwasync-upload-job"
_SIZE = re.compile(r"(\d+)\s*([KMG]i?B?)?", re.IGNORECASE)
_SAVE_INTERVAL = 1.0


def _size(text: str) -> int:
    """Parse ``8M``, ``512KiB``, ``1G`` or a plain byte count."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 8M or 8388608)")
    number, unit = int(match.group(1)), (match.group(2) or "").upper()[:1]
    value = number * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[unit]
    if value < 1:
        raise argparse.ArgumentTypeError("a size must be positive")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``upload`` command."""
    parser = sub.add_parser(
        "upload",
        help="upload files as new media, resumably",
        description="Upload files as new media items. The API secret is read from "
        "JWPLATFORM_API_SECRET. With --state, a rerun after a crash skips finished "
        "files and resumes partial multipart uploads.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to upload")
    parser.add_argument("--site", required=True, help="the site (property) id")
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=2,
        help="files uploading at once (default 2)",
    )
    parser.add_argument(
        "--part-concurrency",
        type=_positive,
        default=4,
        help="parts in flight per multipart file (default 4)",
    )
    parser.add_argument(
        "--part-size",
        type=_size,
        default=None,
        help=f"multipart part size (default {DEFAULT_PART_SIZE // 2**20}M)",
    )
    parser.add_argument(
        "--multipart-threshold",
        type=_size,
        default=DEFAULT_MULTIPART_THRESHOLD,
        help="files larger than this use multipart "
        f"(default {DEFAULT_MULTIPART_THRESHOLD // 2**20}M)",
    )
    parser.add_argument(
        "--state",
        default=None,
        metavar="FILE",
        help="job state file for resuming (written 0600: it holds upload tokens)",
    )
    add_client_options(parser)
    parser.set_defaults(func=run)


class JobState:
    """The job's state file: one entry per file, written atomically with mode 0600.

    Args:
        path: The file, or None to keep the state in memory only.
        site_id: The site the job uploads into.
    """

    def __init__(self, path: str | None, site_id: str) -> None:
        self.path = path
        self.site_id = site_id
        self.files: dict[str, dict[str, Any]] = {}
        self._last = -float("inf")
        if path is not None and os.path.exists(path):
            self._load(path)

    def _load(self, path: str) -> None:
        data = read_private_json(path)
        if not isinstance(data, dict) or data.get("kind") != _KIND:
            raise ValueError(f"{path}: not a jwasync upload job state file")
        if data.get("site_id") != self.site_id:
            raise ValueError(
                f"{path}: the job was for site {data.get('site_id')!r}, "
                f"not {self.site_id!r}"
            )
        files = data.get("files")
        self.files = dict(files) if isinstance(files, dict) else {}

    def entry(self, key: str) -> dict[str, Any]:
        """Return a file's entry ({} when the job has not seen it)."""
        found = self.files.get(key)
        return found if isinstance(found, dict) else {}

    def partial(self, key: str, state: UploadState) -> None:
        """Record a multipart upload's progress (written at most once a second).

        The first record of an upload is written at once: it holds the new media
        item's upload id and token, and losing it to a crash would leave an orphan
        media item and send the whole file again.
        """
        first = self.files.get(key, {}).get("status") != "partial"
        self.files[key] = {"status": "partial", "upload": state.to_json()}
        self.save(force=first)

    def done(self, key: str, media_id: str) -> None:
        """Record a finished file (no token kept) and write at once."""
        self.files[key] = {"status": "done", "media_id": media_id}
        self.save(force=True)

    def save(self, *, force: bool = False) -> None:
        """Write the file (atomically, 0600), at most once a second unless forced."""
        now = time.monotonic()
        if self.path is None or (not force and now - self._last < _SAVE_INTERVAL):
            return
        self._last = now
        write_private_json(
            self.path,
            {
                "version": 1,
                "kind": _KIND,
                "site_id": self.site_id,
                "files": self.files,
            },
        )


async def run(args: argparse.Namespace) -> int:
    """Upload ``args.paths``; return 0 when all are in, 1 if any failed."""
    check_id(args.site, "site")
    sizes, missing = _stat_files(args.paths)
    if missing:
        for path in missing:
            stderr.print(f"[red]error:[/] not a file: {escape(str(path))}")
        return 2
    try:
        job = JobState(args.state, args.site)
    except ValueError as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}")
        return 2
    todo = [p for p in sizes if job.entry(p).get("status") != "done"]
    for path in sizes:
        if path not in todo:
            _report(path, job.entry(path).get("media_id"), skipped=True)
    if not todo:
        return 0
    total = sum(sizes[p] for p in todo)
    started = time.monotonic()
    async with client_from_args(args) as jw:
        uploads = media_uploads(jw)
        with _progress() as bars:
            overall = bars.add_task(f"{len(todo)} files", total=total)
            sent: dict[str, int] = {}

            async def upload_one(path: str) -> None:
                name = os.path.basename(path)
                bar = bars.add_task(name, total=sizes[path])

                def progress(done: int, size: int) -> None:
                    bars.update(bar, completed=done)
                    bars.advance(overall, done - sent.get(path, 0))
                    sent[path] = done

                saved = job.entry(path).get("upload")
                try:
                    media = await uploads.upload(
                        args.site,
                        path,
                        metadata=None if saved else {"title": name},
                        concurrency=args.part_concurrency,
                        part_size=args.part_size,
                        multipart_threshold=args.multipart_threshold,
                        resume=UploadState.from_json(saved) if saved else None,
                        on_state=lambda state: job.partial(path, state),
                        progress=progress,
                    )
                finally:
                    bars.remove_task(bar)
                    job.save(force=True)
                job.done(path, str(media["id"]))
                _report(path, media["id"])

            async def items() -> AsyncIterator[str]:
                for path in todo:
                    yield path

            try:
                outcome = await run_pool(items(), upload_one, workers=args.concurrency)
            finally:
                job.save(force=True)
    known = JWPlatformError | ValueError | TypeError | OSError
    for item, error in outcome.failed:
        shown = str(error) if isinstance(error, known) else "(details withheld)"
        stderr.print(
            f"[red]failed[/] {escape(str(item))}: {type(error).__name__}: "
            f"{escape(str(shown))}"
        )
    elapsed = time.monotonic() - started
    stderr.print(
        f"uploaded {outcome.done} of {len(todo)} files "
        f"({total / 2**20:.1f} MiB) in {elapsed:.1f}s"
        + (f"; rerun with --state {args.state} to resume" if outcome.failed else "")
    )
    return 1 if outcome.failed else 0


def _stat_files(given: list[str]) -> tuple[dict[str, int], list[str]]:
    """Sizes of the files by absolute path, and the paths that are not files."""
    sizes: dict[str, int] = {}
    missing: list[str] = []
    for path in dict.fromkeys(os.path.abspath(p) for p in given):
        if os.path.isfile(path):
            sizes[path] = os.path.getsize(path)
        else:
            missing.append(path)
    return sizes, missing


def _report(path: str, media_id: object, *, skipped: bool = False) -> None:
    line = {"path": path, "media_id": media_id}
    if skipped:
        line["skipped"] = "already uploaded"
    print(json.dumps(line), flush=True)


def _progress() -> Progress:
    template = progress_bar()  # shares the console and the on/off rule
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=template.console,
        disable=template.disable,
    )
