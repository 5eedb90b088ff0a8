"""The retry decision: one pure function over a policy and what happened.

tenacity drives the loop (see ``_session``); this module only answers "try again,
and after how long?" so the rules can be tested from a table of cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ._config import RetryPolicy

__all__ = ["Outcome", "backoff", "decide"]


@dataclass(frozen=True)
class Outcome:
    """What one attempt ended with.

    Attributes:
        status: The HTTP status, or None when no response arrived.
        sent: Whether the request may have reached the server. A connection that
            was never opened means False; a reset or timeout mid-request, True.
        retry_after: The server's ``Retry-After`` in seconds, when it sent one.
    """

    status: int | None
    sent: bool = True
    retry_after: float | None = None


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter for the wait after attempt ``attempt``.

    The wait lies between half and all of ``base * 2**(attempt-1)`` (capped), so
    concurrent callers spread out but none retries at once.
    """
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** (attempt - 1))
    return ceiling * (0.5 + rng.random() / 2)


def decide(
    policy: RetryPolicy,
    *,
    attempt: int,
    method: str,
    outcome: Outcome,
    idempotent: bool | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Decide whether to retry after an attempt, and how long to wait first.

    Args:
        policy: The retry policy.
        attempt: The 1-based number of the attempt that just ended.
        method: The HTTP method.
        outcome: How the attempt ended.
        idempotent: Overrides the policy's view of the method (a route that is safe
            or unsafe to repeat whatever its method).
        rng: Source of jitter.

    Returns:
        Seconds to wait before the next attempt (0 for a 429, whose wait happens
        on the shared budget), or None to give up.
    """
    if attempt >= policy.max_attempts:
        return None
    if outcome.status == 429:
        too_long = (
            outcome.retry_after is not None
            and outcome.retry_after > policy.max_retry_after
        )
        return None if too_long else 0.0
    safe = method.upper() in policy.idempotent_methods
    if idempotent is not None:
        safe = idempotent
    if outcome.status is None:
        transient = not outcome.sent or safe
    else:
        transient = outcome.status in policy.retry_statuses and safe
    if not transient:
        return None
    return backoff(policy, attempt, rng or random.Random())
