"""The ``jwasync`` command: demo, media export/update and user errors.

``main`` runs its own event loop, so the fake serves from a loop in a background
thread (127.0.0.1, port 0) while the test calls ``main`` directly.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jwasync.cli import main
from jwasync.testing import FakeJWPlatform

SITE = "Site1234"
SECRET = "cli-media-secret"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJWPlatform]:
    monkeypatch.setenv("JWPLATFORM_API_SECRET", SECRET)
    loop = asyncio.new_event_loop()
    server = FakeJWPlatform(tokens=(SECRET,), limit=50, period=1.0)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    loop.call_soon_threadsafe(server.seed_media, SITE, 30)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_demo_runs_the_main_job_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    status = main(
        ["demo", "--media", "40", "--limit", "20", "--period", "0.5", "--out", str(out)]
    )
    assert status == 0
    exported = read_jsonl(out)
    assert len(exported) == 40
    assert len({m["id"] for m in exported}) == 40


def test_export_then_update_against_the_api(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    out = tmp_path / "library.jsonl"
    base = ["--base-url", fake.url, "--limit", "50", "--period", "1"]
    assert main(["media", "export", "--site", SITE, "--out", str(out), *base]) == 0
    library = read_jsonl(out)
    assert len(library) == 30

    changes = tmp_path / "changes.jsonl"
    changes.write_text(
        "".join(
            json.dumps({"id": m["id"], "metadata": {"tags": ["cli"]}}) + "\n"
            for m in library
        )
    )
    status = main(["media", "update", "--site", SITE, "--from", str(changes), *base])
    assert status == 0
    assert main(["media", "export", "--site", SITE, "--out", str(out), *base]) == 0
    assert all(m["metadata"]["tags"] == ["cli"] for m in read_jsonl(out))


def test_update_failures_are_reported_and_saved(
    fake: FakeJWPlatform, tmp_path: Path
) -> None:
    changes = tmp_path / "changes.jsonl"
    changes.write_text(
        json.dumps({"id": "Missing1", "metadata": {"title": "x"}}) + "\n"
    )
    failures = tmp_path / "failed.jsonl"
    status = main(
        [
            "media",
            "update",
            "--site",
            SITE,
            "--from",
            str(changes),
            "--failures",
            str(failures),
            "--base-url",
            fake.url,
        ]
    )
    assert status == 1
    assert read_jsonl(failures) == [{"id": "Missing1", "metadata": {"title": "x"}}]


@pytest.mark.parametrize(
    "argv",
    [
        ["media", "export", "--site", "a/b"],
        ["media", "export", "--site", SITE, "--base-url", "ftp://x.invalid"],
        ["media", "export", "--site", SITE, "--limit", "0"],
    ],
)
def test_user_errors_exit_2_without_a_traceback(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JWPLATFORM_API_SECRET", SECRET)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "jwasync: error:" in err
    assert "Traceback" not in err
    assert SECRET not in err


def test_no_secret_in_the_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JWPLATFORM_API_SECRET", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["media", "export", "--site", SITE, "--base-url", "http://127.0.0.1:9"])
    assert info.value.code == 2
