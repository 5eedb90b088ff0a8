"""Test kit: an in-process fake of JW Player's Platform Management API v2.

:class:`FakeJWPlatform` serves every v2 route on 127.0.0.1 from memory and holds
each API token to a request budget under a chosen server model, with the real
``jw-request-limit``/``jw-request-remaining`` headers, 429s, optional
``Retry-After``, header faults, latency, a foreign consumer and upload faults.
The budget models are also exported for simulations without sockets, and
:class:`VirtualTimeLoop` / :func:`run_virtual` run timed code on a virtual clock.
"""

from ._fake import FakeJWPlatform, HeaderFault, RetryAfterStyle, serve
from ._limits import (
    Budget,
    Decision,
    FixedWindow,
    ServerModel,
    SlidingWindow,
    TokenBucket,
    make_budget,
    max_in_window,
)
from ._stats import TokenStats
from ._vtime import VirtualTimeLoop, run_virtual

__all__ = [
    "Budget",
    "Decision",
    "FakeJWPlatform",
    "FixedWindow",
    "HeaderFault",
    "RetryAfterStyle",
    "ServerModel",
    "SlidingWindow",
    "TokenBucket",
    "TokenStats",
    "VirtualTimeLoop",
    "make_budget",
    "max_in_window",
    "run_virtual",
    "serve",
]
