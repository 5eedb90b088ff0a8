"""Unit tests of the fake's three server budget models, driven by plain numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jwasync.testing import (
    FixedWindow,
    ServerModel,
    SlidingWindow,
    TokenBucket,
    make_budget,
    max_in_window,
)

MODELS: tuple[ServerModel, ...] = ("sliding", "fixed", "bucket")


def test_sliding_admits_limit_then_frees_one_period_after_each_entry() -> None:
    window = SlidingWindow(3, 10.0)
    got = [window.try_acquire(t) for t in (0.0, 1.0, 2.0)]
    assert [d.accepted for d in got] == [True, True, True]
    assert [d.remaining for d in got] == [2, 1, 0]
    assert got[-1].retry_after == pytest.approx(8.0)

    refused = window.try_acquire(3.0)
    assert not refused.accepted
    assert refused.remaining == 0
    assert refused.retry_after == pytest.approx(7.0)
    assert not window.try_acquire(9.99).accepted

    at_expiry = window.try_acquire(10.0)
    assert at_expiry.accepted
    assert at_expiry.remaining == 0
    assert at_expiry.retry_after == pytest.approx(1.0)


def test_sliding_count_rejected_keeps_the_window_full() -> None:
    lenient = SlidingWindow(2, 10.0)
    strict = SlidingWindow(2, 10.0, count_rejected=True)
    for window in (lenient, strict):
        window.try_acquire(0.0)
        window.try_acquire(0.0)
        assert not window.try_acquire(5.0).accepted

    assert lenient.try_acquire(10.5).remaining == 1
    # The refused call at t=5 still occupies a slot until t=15.
    assert strict.try_acquire(10.5).remaining == 0
    assert strict.peek(10.5).retry_after == pytest.approx(4.5)


def test_fixed_resets_at_offset_boundaries() -> None:
    window = FixedWindow(2, 10.0, offset=5.0)
    assert window.try_acquire(4.0).accepted
    assert window.try_acquire(4.5).accepted
    refused = window.try_acquire(4.9)
    assert not refused.accepted
    assert refused.retry_after == pytest.approx(0.1)

    fresh = window.try_acquire(5.0)
    assert fresh.accepted
    assert fresh.remaining == 1


def test_fixed_count_rejected_does_not_outlive_the_window() -> None:
    window = FixedWindow(1, 10.0, count_rejected=True)
    assert window.try_acquire(0.0).accepted
    for _ in range(5):
        assert not window.try_acquire(1.0).accepted
    assert window.try_acquire(10.0).accepted


def test_bucket_starts_full_and_refills_at_limit_per_period() -> None:
    bucket = TokenBucket(4, 4.0)
    assert [bucket.try_acquire(0.0).remaining for _ in range(4)] == [3, 2, 1, 0]
    refused = bucket.try_acquire(0.0)
    assert not refused.accepted
    assert refused.retry_after == pytest.approx(1.0)
    assert bucket.try_acquire(0.5).retry_after == pytest.approx(0.5)
    assert bucket.try_acquire(1.0).accepted
    assert bucket.peek(100.0).remaining == 4


def test_bucket_count_rejected_digs_at_most_one_period_deep() -> None:
    bucket = TokenBucket(4, 4.0, count_rejected=True)
    for _ in range(4):
        bucket.try_acquire(0.0)
    for _ in range(10):
        bucket.try_acquire(0.0)
    assert bucket.peek(0.0).retry_after == pytest.approx(4.0)
    # The refused try at 3.9 costs a token too: 0.9 - 1 leaves -0.1.
    assert not bucket.try_acquire(3.9).accepted
    assert bucket.peek(3.9).retry_after == pytest.approx(1.1)


def test_peek_counts_nothing() -> None:
    for model in MODELS:
        budget = make_budget(model, 2, 10.0)
        for _ in range(5):
            assert budget.peek(0.0).remaining == 2
        assert budget.try_acquire(0.0).remaining == 1


@pytest.mark.parametrize(
    ("model", "limit", "period"),
    [("nope", 1, 1.0), ("sliding", 0, 1.0), ("fixed", 1, 0.0), ("bucket", 1, -1.0)],
)
def test_make_budget_rejects_bad_settings(
    model: str, limit: int, period: float
) -> None:
    with pytest.raises(ValueError, match=r"model|limit|period"):
        make_budget(model, limit, period)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], 0),
        ([1.0], 1),
        ([0.0, 10.0], 1),
        ([0.0, 9.999, 10.0], 2),
        ([0.0, 1.0, 2.0, 3.0, 20.0], 4),
    ],
)
def test_max_in_window(times: list[float], expected: int) -> None:
    assert max_in_window(times, 10.0) == expected


arrivals = st.lists(
    st.floats(min_value=0.0, max_value=100.0, allow_nan=False), min_size=1, max_size=80
).map(sorted)


@settings(max_examples=150, deadline=None)
@given(
    times=arrivals,
    limit=st.integers(1, 6),
    period=st.floats(0.5, 20.0),
    model=st.sampled_from(MODELS),
    count_rejected=st.booleans(),
)
def test_retry_after_is_exactly_enough(
    times: list[float],
    limit: int,
    period: float,
    model: ServerModel,
    count_rejected: bool,
) -> None:
    for t in times:
        budget = make_budget(
            model, limit, period, offset=1.3, count_rejected=count_rejected
        )
        for earlier in times:
            if earlier > t:
                break
            budget.try_acquire(earlier)
        state = budget.peek(t)
        if state.remaining == 0:
            assert budget.try_acquire(t + state.retry_after).accepted


@settings(max_examples=150, deadline=None)
@given(times=arrivals, limit=st.integers(1, 6), period=st.floats(0.5, 20.0))
def test_models_never_exceed_their_own_rule(
    times: list[float], limit: int, period: float
) -> None:
    sliding = SlidingWindow(limit, period)
    ok_sliding = [t for t in times if sliding.try_acquire(t).accepted]
    assert max_in_window(ok_sliding, period) <= limit

    fixed = FixedWindow(limit, period, offset=0.7)
    ok_fixed = [t for t in times if fixed.try_acquire(t).accepted]
    per_window: dict[int, int] = {}
    for t in ok_fixed:
        index = math.floor((t - 0.7 + 1e-9) / period)
        per_window[index] = per_window.get(index, 0) + 1
    assert max(per_window.values(), default=0) <= limit

    bucket = TokenBucket(limit, period)
    ok_bucket = [t for t in times if bucket.try_acquire(t).accepted]
    rate = limit / period
    for i, start in enumerate(ok_bucket):
        for j in range(i, len(ok_bucket)):
            assert j - i + 1 <= limit + rate * (ok_bucket[j] - start) + 1e-6
