"""Multipart upload throughput and memory at several part concurrencies.

Run it as ``python benchmarks/upload.py`` (``--help`` for options). It writes a
random file under /tmp (256 MiB by default; deleted at the end), then for each
concurrency (1, 4 and 8 by default):

1. starts the fake API (``jwasync.testing.FakeJWPlatform``) in a subprocess on
   127.0.0.1, port 0, with a fixed delay before answering each part PUT;
2. uploads the file from a second, fresh subprocess and reports the time and that
   process's peak RSS;
3. asks the server for the MD5 of what it assembled and checks it against the file.

Why processes: the fake holds every byte it receives, so in one process its
buffers would swamp the client's. A fresh client process per run makes
``ru_maxrss`` (the kernel's resident-set high-water mark, which counts everything:
interpreter, aiohttp, socket buffers in user space, our part buffers) a clean
figure for that run alone; the baseline RSS just before the upload is shown too.

Why a per-part delay: on loopback a part travels in milliseconds, while one TCP
stream to S3 typically moves 5-15 MB/s across regions or a consumer uplink, so an
8 MiB part PUT takes about a second. The delay (1.0 s by default) stands in for
that per-connection time; concurrency hides it, which is the point of sending
parts concurrently. The fake also spends CPU on every part (it reads, hashes and
joins the bytes in one process, about 90 MB/s here); with concurrent parts that
CPU time is shared, they finish together and then wait out the delay together, so
the speed-up stays below the concurrency (at 0.5 s, 2.9x to 3.2x for 4 parts).

Targets: concurrency 4 at least 3x faster than 1, and peak RSS no more than
``concurrency x part size + 64 MiB``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SECRET = "bench-secret"
SITE = "Bench123"
MIB = 1024 * 1024


# -- server subprocess ---------------------------------------------------------------


async def _serve(part_latency: float, min_part_size: int) -> None:
    from jwasync.testing import FakeJWPlatform

    async with FakeJWPlatform(
        tokens=(SECRET,),
        part_latency=part_latency,
        min_part_size=min_part_size,
        limit=1000,
    ) as fake:
        print(fake.url, flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _, media_id = line.strip().partition(" ")
            if command == "md5":
                data = fake.uploaded_bytes(media_id)
                if data is None:
                    print("none", flush=True)
                else:
                    print(
                        hashlib.md5(data, usedforsecurity=False).hexdigest(), flush=True
                    )


# -- client subprocess ---------------------------------------------------------------


def _peak_rss_mib() -> float:
    """The process's resident-set high-water mark (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    """The resident set now, from /proc (Linux); the peak if /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_rss_mib()


async def _client(url: str, path: str, concurrency: int, part_size: int) -> None:
    from jwasync import JWPlatformClient
    from jwasync._uploads import media_uploads

    async with JWPlatformClient(SECRET, base_url=url, rate_limit=None) as jw:
        uploads = media_uploads(jw)
        baseline = _rss_mib()
        started = time.perf_counter()
        media = await uploads.upload(
            SITE,
            path,
            method="multipart",
            part_size=part_size,
            concurrency=concurrency,
        )
        seconds = time.perf_counter() - started
    result = {
        "media_id": media["id"],
        "seconds": seconds,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": _peak_rss_mib(),
    }
    print(json.dumps(result), flush=True)


# -- driver --------------------------------------------------------------------------


def _make_file(size: int) -> tuple[str, str]:
    digest = hashlib.md5(usedforsecurity=False)
    fd, path = tempfile.mkstemp(prefix="jwasync-bench-", suffix=".bin", dir="/tmp")
    with os.fdopen(fd, "wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 16 * MIB))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return path, digest.hexdigest()


def _run_level(
    args: argparse.Namespace, path: str, concurrency: int
) -> dict[str, float | str]:
    me = [sys.executable, __file__]
    server = subprocess.Popen(  # noqa: S603 - this script, fixed arguments
        [
            *me,
            "--serve",
            "--latency",
            str(args.latency),
            "--min-part-size",
            str(args.part_size_mib * MIB),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdin is not None
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake did not start ({url!r})")
        client = subprocess.run(  # noqa: S603 - this script, fixed arguments
            [
                *me,
                "--client",
                url,
                "--file",
                path,
                "--concurrency",
                str(concurrency),
                "--part-size-mib",
                str(args.part_size_mib),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
        result: dict[str, float | str] = json.loads(client.stdout.splitlines()[-1])
        server.stdin.write(f"md5 {result['media_id']}\n")
        server.stdin.flush()
        result["server_md5"] = server.stdout.readline().strip()
        return result
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _drive(args: argparse.Namespace) -> int:
    size = args.size_mib * MIB
    part = args.part_size_mib * MIB
    levels = [int(n) for n in args.levels.split(",")]
    print(
        f"file {args.size_mib} MiB, parts of {args.part_size_mib} MiB "
        f"({-(-size // part)} parts), {args.latency:.2f}s server delay per part PUT; "
        f"fake API and each client in their own process on 127.0.0.1"
    )
    path, digest = _make_file(size)
    rows = []
    try:
        for level in levels:
            result = _run_level(args, path, level)
            if result["server_md5"] != digest:
                print(f"concurrency {level}: the server's bytes differ from the file!")
                return 1
            rows.append((level, result))
    finally:
        os.unlink(path)

    base = float(rows[0][1]["seconds"])
    print()
    header = (
        f"{'concurrency':>11} {'seconds':>8} {'MiB/s':>7} {'speed-up':>8} "
        f"{'base RSS':>9} {'peak RSS':>9} {'limit':>9}  ok"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for level, result in rows:
        seconds = float(result["seconds"])
        peak = float(result["peak_rss_mib"])
        limit = level * args.part_size_mib + 64
        within = peak <= limit
        ok = ok and within
        print(
            f"{level:>11} {seconds:>8.2f} {args.size_mib / seconds:>7.1f} "
            f"{base / seconds:>7.2f}x {float(result['baseline_rss_mib']):>7.1f}MB "
            f"{peak:>7.1f}MB {limit:>7d}MB  {'yes' if within else 'NO'}"
        )
    speedups = {level: base / float(r["seconds"]) for level, r in rows}
    if 4 in speedups:
        fast = speedups[4] >= 3.0
        ok = ok and fast
        print(f"\nconcurrency 4 vs 1: {speedups[4]:.2f}x (target >= 3x)")
    print("every upload verified: the server's MD5 equals the file's")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256, help="file size (256)")
    parser.add_argument("--part-size-mib", type=int, default=8, help="part size (8)")
    parser.add_argument(
        "--latency", type=float, default=1.0, help="server delay per part (1.0 s)"
    )
    parser.add_argument("--levels", default="1,4,8", help="concurrencies (1,4,8)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--min-part-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.latency, args.min_part_size))
        return 0
    if args.client:
        part = args.part_size_mib * MIB
        asyncio.run(_client(args.client, args.file, args.concurrency, part))
        return 0
    if args.size_mib < 200:
        parser.error("the benchmark uploads at least 200 MiB")
    return _drive(args)


if __name__ == "__main__":
    sys.exit(main())
