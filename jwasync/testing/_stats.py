"""What the fake saw of one token's traffic, for assertions and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._limits import max_in_window

__all__ = ["TokenStats"]


@dataclass
class TokenStats:
    """Counters and logs for one API token.

    Times come from the fake's clock (the running loop's clock unless one was
    injected). The invisible foreign consumer and :meth:`FakeJWPlatform.spend` are
    counted apart from the client's own requests.

    Attributes:
        period: The server's period, the default window for :meth:`max_in_window`.
        accepted: Requests the budget admitted.
        rejected: Requests answered 429.
        accepted_times: Arrival time of each admitted request, in order.
        rejected_times: Arrival time of each 429'd request, in order.
        requests: ``(method, path with query)`` of every request with this token.
        foreign_accepted: Units the foreign consumer and ``spend()`` got.
        foreign_rejected: Units the foreign consumer and ``spend()`` were refused.
        header_faults: Responses whose ``jw-request-*`` headers were tampered with.
    """

    period: float
    accepted: int = 0
    rejected: int = 0
    accepted_times: list[float] = field(default_factory=list)
    rejected_times: list[float] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    foreign_accepted: int = 0
    foreign_rejected: int = 0
    header_faults: int = 0

    def max_in_window(self, period: float | None = None) -> int:
        """Return the most accepted requests in any window ``[t, t + period)``.

        Args:
            period: Window length; the server's period by default.

        Returns:
            The peak count, to compare with the server's limit.
        """
        return max_in_window(
            self.accepted_times, self.period if period is None else period
        )

    def clear(self) -> None:
        """Forget everything counted so far (the budget itself is untouched)."""
        self.accepted = self.rejected = 0
        self.foreign_accepted = self.foreign_rejected = self.header_faults = 0
        self.accepted_times.clear()
        self.rejected_times.clear()
        self.requests.clear()
