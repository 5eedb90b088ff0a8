"""``jwasync fake-server``: the testing kit's fake API, standalone."""

from __future__ import annotations

import argparse

from ..testing import FakeJWPlatform, serve
from ._common import stderr

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``fake-server`` command."""
    parser = sub.add_parser(
        "fake-server", help="run the in-process fake of the API on loopback"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000; 0: any)")
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        help="an accepted API secret (repeatable; default fake-secret)",
    )
    parser.add_argument("--limit", type=int, default=60, help="requests per period")
    parser.add_argument("--period", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--model", choices=("sliding", "fixed", "bucket"), default="sliding"
    )
    parser.add_argument(
        "--foreign", type=float, default=0.0, help="share spent by another consumer"
    )
    parser.add_argument("--retry-after", choices=("seconds", "http-date"), default=None)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds")
    parser.add_argument("--site", default="Fake1234", help="site to seed media into")
    parser.add_argument("--seed-media", type=int, default=0, help="media to create")
    parser.set_defaults(func=_run)


async def _run(args: argparse.Namespace) -> int:
    tokens = tuple(args.tokens or ("fake-secret",))

    def ready(fake: FakeJWPlatform) -> None:
        if args.seed_media:
            fake.seed_media(args.site, args.seed_media)
        stderr.print(
            f"fake JW Platform API on [bold]{fake.url}[/] — {args.limit} requests "
            f"per {args.period:g}s per token ({args.model} window); "
            f"{'secret fake-secret' if not args.tokens else f'{len(tokens)} secret(s)'}"
            f" accepted; site {args.site} has "
            f"{args.seed_media} media. Ctrl-C stops it."
        )

    await serve(
        args.host,
        args.port,
        on_ready=ready,
        tokens=tokens,
        limit=args.limit,
        period=args.period,
        model=args.model,
        foreign_rate=args.foreign,
        retry_after=args.retry_after,
        latency=args.latency,
    )
    return 0
