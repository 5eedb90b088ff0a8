"""The ``jwasync`` command: bulk jobs against the API, and a demo against the fake.

Each sub-command lives in its own module with a ``register(subparsers)`` function
that adds its parser and sets ``func`` to an ``async def run(args) -> int``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command registered."""
    from . import _demo, _fake_server, _media, _upload

    parser = argparse.ArgumentParser(
        prog="jwasync",
        description="Bulk jobs for the JW Player Platform Management API v2. The API "
        "secret is read from JWPLATFORM_API_SECRET, never from the command line.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (_demo, _media, _upload, _fake_server):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        status: int = asyncio.run(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as exc:
        # Bad input from the command line (an id, a URL, a path, a number): say
        # what is wrong without a traceback. The secret is never in these.
        print(f"jwasync: error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
