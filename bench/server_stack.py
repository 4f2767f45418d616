"""The server under the API: uvicorn on asyncio + h11 (as pinned) against uvloop + httptools.

    python -m bench.server_stack --posts 400 --rounds 3

Starts the visits service (SQLite, no NATS: the relay waits) with uvicorn once per stack and
round, alternating the stacks, and posts completed visits from ``--concurrency`` clients. It
prints, per stack, the median over the rounds of the server's CPU time per POST (from /proc:
less disturbed by other work on the machine than a rate) and of the POST rate. uvloop and
httptools must be installed for the second stack (``pip install uvloop httptools``); uvicorn
picks them up by itself when they are (``loop="auto"``, ``http="auto"``), which is why they
are only added to the pinned dependencies with a measured gain. Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.request_path import body
from bench.visits_e2e import cpu_seconds
from shared.security.roles import Role
from tests import support
from tests.support import bearer

STACKS = {"asyncio + h11": ("asyncio", "h11"), "uvloop + httptools": ("uvloop", "httptools")}
SERVER = """
import sys, uvicorn
from pathlib import Path
from services.visits.main import create_app
from shared.settings import ServiceName
from tests.support import make_settings
var_dir, port, loop, http, key = sys.argv[1:]
settings = make_settings(ServiceName.VISITS, Path(var_dir), auth_dev_key=key)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(port), loop=loop, http=http,
            access_log=False, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post_visits(url: str, posts: int, concurrency: int) -> float:
    headers = bearer(Role.OUTREACH, subject="v-1", team="west")
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                response = await client.post("/visits", json=body(1))
                assert response.status_code == 201, response.text

        started = time.perf_counter()
        await asyncio.gather(*(worker(posts // concurrency) for _ in range(concurrency)))
        return (posts // concurrency * concurrency) / (time.perf_counter() - started)


def one_round(root: Path, loop: str, http: str, args: argparse.Namespace) -> tuple[float, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root), str(port), loop, http, support.TEST_AUTH_KEY],
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        asyncio.run(post_visits(url, 40, args.concurrency))  # warm up
        before = cpu_seconds(server.pid)
        rate = asyncio.run(post_visits(url, args.posts, args.concurrency))
        cpu_ms = (cpu_seconds(server.pid) - before) * 1000 / args.posts
        return cpu_ms, rate
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stack", choices=list(STACKS), action="append", help="default: both")
    args = parser.parse_args(argv)
    stacks = {name: STACKS[name] for name in args.stack or STACKS}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in stacks}
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        for round_ in range(args.rounds):
            for name, (loop, http) in stacks.items():
                root = Path(tmp) / f"{round_}-{loop}"
                results[name].append(one_round(root, loop, http, args))
                print(f"round {round_ + 1} {name}: {results[name][-1]}", flush=True)
    print(f"\nmedian of {args.rounds} rounds, {args.posts} POSTs from {args.concurrency} clients")
    print(f"{'stack':<22}{'server CPU ms/POST':>20}{'POST/s':>10}")
    for name, rounds in results.items():
        cpu = statistics.median(r[0] for r in rounds)
        rate = statistics.median(r[1] for r in rounds)
        print(f"{name:<22}{cpu:>20.2f}{rate:>10.0f}")


if __name__ == "__main__":
    main()
