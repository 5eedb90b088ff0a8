"""An event loop whose clock jumps instead of sleeping.

Whenever the loop would block waiting for a timer with no I/O ready, the virtual
clock advances to that timer at once. Anything timed by ``loop.time()``,
``loop.call_at`` or ``asyncio.sleep`` (the budget, retry waits, aiolimiter) then runs
minutes of schedule in milliseconds, deterministically. Sockets still work, but
time does not pass while they wait, so keep real I/O out of virtual-time tests.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["VirtualTimeLoop", "run_virtual"]

T = TypeVar("T")


# Loop iterations in a row with work ready and no time passing before the clock is
# nudged by one microsecond. Code that busy-waits on ``call_soon`` until time moves
# (as a real clock would) then finishes; ordinary code never gets near this.
_SPIN_LIMIT = 1_000
_SPIN_STEP = 1e-6


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop
        self._spins = 0

    def select(
        self, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready:
            self._spins = 0
            return ready
        if timeout is None:
            # Nothing is scheduled and nothing is ready: with no real time passing
            # this would hang forever, so fail the test instead.
            raise RuntimeError("virtual-time loop is idle with nothing scheduled")
        if timeout > 0:
            self._spins = 0
            self._loop.advance(timeout)
        else:
            self._spins += 1
            if self._spins >= _SPIN_LIMIT:
                self._spins = 0
                self._loop.advance(_SPIN_STEP)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on a virtual clock that starts at ``start``."""

    def __init__(self, start: float = 1000.0) -> None:
        self._virtual_now = start
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (never back).

        Any positive step moves it by at least one representable tick: a timer set
        a rounding error ahead (``now + 2e-15``) would otherwise never come due and
        the loop would spin without time passing.
        """
        if seconds > 0:
            self._virtual_now = max(
                self._virtual_now + seconds,
                math.nextafter(self._virtual_now, math.inf),
            )


def run_virtual(coro: Coroutine[Any, Any, T], *, start: float = 1000.0) -> T:
    """Run ``coro`` to completion on a fresh :class:`VirtualTimeLoop`."""
    loop = VirtualTimeLoop(start)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
