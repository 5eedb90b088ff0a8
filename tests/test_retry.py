"""The retry decision, from a table of cases."""

from __future__ import annotations

import random

import pytest

from jwasync import RetryPolicy
from jwasync._retry import Outcome, backoff, decide

POLICY = RetryPolicy(max_attempts=4, backoff_base=1.0, backoff_max=8.0)

# (method, outcome, attempt, idempotent override) -> retry?
CASES = [
    ("GET", Outcome(429), 1, None, True),
    ("POST", Outcome(429), 1, None, True),  # a 429 was never executed
    ("POST", Outcome(429, retry_after=30), 1, None, True),
    ("POST", Outcome(429, retry_after=500), 1, None, False),  # past max_retry_after
    ("GET", Outcome(429), 4, None, False),  # attempts spent
    ("GET", Outcome(500), 1, None, True),
    ("GET", Outcome(502), 2, None, True),
    ("GET", Outcome(503), 3, None, True),
    ("DELETE", Outcome(504), 1, None, True),
    ("PUT", Outcome(500), 1, None, True),
    ("PATCH", Outcome(500), 1, None, True),
    ("POST", Outcome(500), 1, None, False),  # may have been executed
    ("POST", Outcome(503), 1, None, False),
    ("PUT", Outcome(500), 1, False, False),  # a route marked unsafe to repeat
    ("POST", Outcome(500), 1, True, True),  # a route marked safe to repeat
    ("GET", Outcome(501), 1, None, False),  # not transient
    ("GET", Outcome(400), 1, None, False),
    ("GET", Outcome(401), 1, None, False),
    ("GET", Outcome(404), 1, None, False),
    ("GET", Outcome(None, sent=True), 1, None, True),  # reset or timeout mid-call
    ("POST", Outcome(None, sent=True), 1, None, False),
    ("POST", Outcome(None, sent=False), 1, None, True),  # never left: safe
    ("POST", Outcome(None, sent=False), 4, None, False),
]


@pytest.mark.parametrize(("method", "outcome", "attempt", "idempotent", "retry"), CASES)
def test_decide(
    method: str, outcome: Outcome, attempt: int, idempotent: bool | None, retry: bool
) -> None:
    delay = decide(
        POLICY,
        attempt=attempt,
        method=method,
        outcome=outcome,
        idempotent=idempotent,
        rng=random.Random(0),
    )
    assert (delay is not None) is retry


def test_429_waits_on_the_budget_not_a_sleep() -> None:
    assert decide(POLICY, attempt=1, method="GET", outcome=Outcome(429)) == 0.0


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 8.0)]
)
def test_backoff_is_exponential_capped_and_jittered(
    attempt: int, ceiling: float
) -> None:
    rng = random.Random(7)
    waits = [backoff(POLICY, attempt, rng) for _ in range(200)]
    assert all(ceiling / 2 <= w <= ceiling for w in waits)
    assert len({round(w, 6) for w in waits}) > 100  # jitter spreads callers


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"backoff_base": -1},
        {"max_retry_after": -1},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
