"""``jwasync upload``: bulk uploads against the fake, and resuming after a crash.

``jwasync.cli.main`` runs its own event loop, so the fake serves from a loop in a
background thread (on 127.0.0.1, port 0) while the test calls ``main`` directly.
"""

from __future__ import annotations

import asyncio
import json
import random
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from jwasync.cli import main
from jwasync.testing import FakeJWPlatform

SITE = "Abc12345"
SECRET = "cli-secret"
T = TypeVar("T")


class ThreadedFake:
    """A FakeJWPlatform serving from its own loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake = FakeJWPlatform(tokens=(SECRET,), min_part_size=1024)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the fake's loop and return its result."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def uploaded(self, media_id: str) -> bytes | None:
        return self.call(lambda: self.fake.uploaded_bytes(media_id))

    def media_posts(self) -> int:
        return self.call(
            lambda: sum(
                1
                for method, path in self.fake.requests
                if method == "POST" and path == f"/v2/sites/{SITE}/media/"
            )
        )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedFake]:
    monkeypatch.setenv("JWPLATFORM_API_SECRET", SECRET)
    threaded = ThreadedFake()
    threaded.start()
    try:
        yield threaded
    finally:
        threaded.stop()


def make_file(tmp_path: Path, name: str, size: int, seed: int) -> Path:
    path = tmp_path / name
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def argv(server: ThreadedFake, state: Path, *paths: Path, **extra: str) -> list[str]:
    args = ["upload", *map(str, paths), "--site", SITE]
    args += ["--base-url", server.fake.url, "--state", str(state)]
    args += ["--part-size", "1K", "--multipart-threshold", "2K"]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    return args


def reported(out: str) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {Path(line["path"]).name: line for line in lines}


def test_uploads_many_files_with_a_progress_bar(
    server: ThreadedFake,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWASYNC_PROGRESS", "1")
    files = [
        make_file(tmp_path, "small.mp4", 700, 1),  # direct
        make_file(tmp_path, "big.mp4", 5 * 1024 + 11, 2),  # multipart, 6 parts
        make_file(tmp_path, "bigger.mp4", 9 * 1024, 3),  # multipart, 9 parts
    ]
    state = tmp_path / "job.json"
    status = main(argv(server, state, *files, concurrency="2", part_concurrency="3"))
    out, err = capsys.readouterr()
    assert status == 0, err
    lines = reported(out)
    assert sorted(lines) == ["big.mp4", "bigger.mp4", "small.mp4"]
    for path in files:
        media_id: str = lines[path.name]["media_id"]
        assert server.uploaded(media_id) == path.read_bytes()
    assert "uploaded 3 of 3 files" in err
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    job = json.loads(state.read_text())
    assert {entry["status"] for entry in job["files"].values()} == {"done"}
    assert "upload_token" not in state.read_text()  # finished files keep no token


def test_a_crashed_job_resumes_from_its_state_file(
    server: ThreadedFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = make_file(tmp_path, "small.mp4", 900, 4)
    big = make_file(tmp_path, "big.mp4", 6 * 1024, 5)
    state = tmp_path / "job.json"
    args = argv(server, state, small, big, part_concurrency="1")
    server.call(lambda: server.fake.fail_part(None, 3, times=1, status=403))

    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "failed" in err
    assert "rerun with --state" in err
    assert list(reported(out)) == ["small.mp4"]
    job = json.loads(state.read_text())["files"]
    partial = job[str(big)]
    assert partial["status"] == "partial"
    assert sorted(partial["upload"]["parts"]) == ["1", "2"]
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    media_id = partial["upload"]["media_id"]

    assert main(args) == 0  # the same command again
    out, err = capsys.readouterr()
    lines = reported(out)
    assert lines["small.mp4"]["skipped"] == "already uploaded"
    assert lines["big.mp4"]["media_id"] == media_id
    counts = server.call(
        lambda: [server.fake.part_put_count(media_id, n) for n in range(1, 7)]
    )
    assert counts == [1, 1, 2, 1, 1, 1]  # only the missing parts went again
    assert server.uploaded(media_id) == big.read_bytes()
    assert server.media_posts() == 2  # no duplicate media


def test_missing_files_stop_the_job_before_any_request(
    server: ThreadedFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    present = make_file(tmp_path, "a.mp4", 100, 6)
    status = main(argv(server, tmp_path / "s.json", present, tmp_path / "gone.mp4"))
    assert status == 2
    assert "not a file" in capsys.readouterr().err
    assert server.call(lambda: list(server.fake.requests)) == []


def test_the_secret_comes_only_from_the_environment(
    server: ThreadedFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_file(tmp_path, "a.mp4", 100, 7)
    with pytest.raises(SystemExit) as caught:
        main([*argv(server, tmp_path / "s.json", path), "--secret", SECRET])
    assert caught.value.code == 2
    monkeypatch.delenv("JWPLATFORM_API_SECRET")
    with pytest.raises(SystemExit) as caught:
        main(argv(server, tmp_path / "s.json", path))
    assert caught.value.code == 2


def test_a_state_file_of_another_site_is_refused(
    server: ThreadedFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_file(tmp_path, "a.mp4", 100, 8)
    state = tmp_path / "s.json"
    assert main(argv(server, state, path)) == 0
    other = argv(server, state, path)
    other[other.index("--site") + 1] = "Other123"
    assert main(other) == 2
    assert "site" in capsys.readouterr().err
