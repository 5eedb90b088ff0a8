"""The resumable state file, the retry policy and link checks, without a server."""

from __future__ import annotations

import json
import logging
import os
import random
import stat
from pathlib import Path
from typing import Any

import pytest

from jwasync import UploadError
from jwasync._upload_state import UploadState, write_private_json
from jwasync._upload_transfer import PartRetry, _etag, check_link

TOKEN = "tok-0123456789abcdef"


def make_state(**changes: Any) -> UploadState:
    values: dict[str, Any] = {
        "site_id": "Abc12345",
        "media_id": "Ny05CEfj",
        "upload_id": "ab12cd34",
        "upload_token": TOKEN,
        "size": 10_000,
        "part_size": 4096,
        "parts": {1: "a" * 32, 2: "b" * 32},
        "source": {"path": "/v/a.mp4", "size": 10_000, "mtime_ns": 1},
        "media": {"id": "Ny05CEfj", "metadata": {"title": "a"}},
    }
    values.update(changes)
    return UploadState(**values)


def test_state_round_trips_through_json() -> None:
    state = make_state()
    again = UploadState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    assert state.part_count == 3


def test_state_repr_hides_the_token() -> None:
    state = make_state()
    assert TOKEN not in repr(state)
    assert TOKEN not in str(state)
    assert "[secure]" in repr(state)


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"upload_token": ""},
        {"upload_id": 5},
        {"size": 0},
        {"part_size": True},
        {"parts": {"x": "a" * 32}},
        {"parts": {"1": "short"}},
    ],
)
def test_state_refuses_bad_data(change: dict[str, Any]) -> None:
    data = {**make_state().to_json(), **change}
    with pytest.raises(ValueError, match=r"upload state|another version"):
        UploadState.from_json(data)


def test_state_refuses_missing_keys() -> None:
    data = make_state().to_json()
    del data["upload_id"]
    with pytest.raises(ValueError, match="incomplete"):
        UploadState.from_json(data)
    with pytest.raises(ValueError):
        UploadState.from_json([1, 2])


def test_state_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("{}")
    target.chmod(0o644)
    old = os.umask(0)
    try:
        make_state().save(target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert UploadState.load(target) == make_state()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temp


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_private_json(tmp_path / "s.json", {"x": object()})
    assert list(tmp_path.iterdir()) == []


def test_loading_a_state_others_can_read_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "state.json"
    make_state().save(target)
    target.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="jwasync"):
        UploadState.load(target)
    (record,) = caplog.records
    assert "readable by other users" in record.getMessage()
    assert TOKEN not in record.getMessage()


def test_loading_a_file_that_is_not_json_is_a_value_error(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("not json")
    target.chmod(0o600)
    with pytest.raises(ValueError, match="not JSON"):
        UploadState.load(target)


# -- retry policy --------------------------------------------------------------------


def test_part_retry_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy = PartRetry(backoff_base=1.0, backoff_max=5.0)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        wait = policy.wait(attempt, rng)
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_attempts": 0}, ValueError),
        ({"max_attempts": 2.0}, TypeError),
        ({"backoff_base": -1}, ValueError),
        ({"read_timeout": 0}, ValueError),
    ],
)
def test_part_retry_validates(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        PartRetry(**kwargs)


# -- links and ETags -----------------------------------------------------------------


@pytest.mark.parametrize(
    "link", [None, "", "ftp://host/x", "/relative?X-Amz-Signature=abc", "http://"]
)
def test_unusable_links_are_refused_without_quoting_them(link: object) -> None:
    with pytest.raises(UploadError) as caught:
        check_link(link, "part 1")
    if link:
        assert str(link) not in str(caught.value)


def test_links_keep_their_encoding_byte_for_byte() -> None:
    raw = "http://127.0.0.1:1/_s3/p?X-Amz-Credential=a%2Fb&X-Amz-Signature=ab%3D"
    assert str(check_link(raw, "part 1")) == raw


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"ABCdef"', "abcdef"),
        ("abcdef", "abcdef"),
        ('W/"abc"', "abc"),
        (None, None),
    ],
)
def test_etag_is_normalised(header: str | None, expected: str | None) -> None:
    headers = {} if header is None else {"ETag": header}
    assert _etag(headers) == expected
