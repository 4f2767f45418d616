"""What the observability middleware costs a request: request id, latency histogram and, when
tracing is on, a server span.

    python -m bench.observability_overhead [--requests 20000] [--rounds 3]

Calls a one-route FastAPI app directly over ASGI (no network, no TestClient: what is measured
is the middleware stack and the route), four ways in one run: without the middleware; with it
and tracing off (the default); with tracing on into a span processor that drops the spans (the
cost of making them); and the ``/metrics`` scrape itself. Prints requests/s, mean µs and the
ratio to the bare app, the best of interleaved rounds. Figures vary with load: run it on a
quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from shared.http.observability import Observability
from shared.observability import tracing
from shared.observability.tracing import FASTAPI_TELEMETRY_OFF


def make_app(observed: bool) -> FastAPI:
    app = FastAPI(telemetry=FASTAPI_TELEMETRY_OFF)  # as the services build theirs

    @app.get("/visits/{visit_id}")
    async def one(visit_id: str) -> dict[str, str]:
        return {"ok": "yes"}

    if observed:
        app.add_middleware(Observability, service="bench")
    return app


async def call(app: Any, path: str) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


async def timed(app: Any, count: int, path: str) -> float:
    for _ in range(min(500, count)):
        await call(app, path)
    started = time.perf_counter()
    for _ in range(count):
        await call(app, path)
    return time.perf_counter() - started


async def once(count: int) -> dict[str, float]:
    path = "/visits/6f1c3d1e-7a0b-4c4e-9a51-2b7d2f0e9c11"
    results = {"bare": await timed(make_app(False), count, path)}
    tracing.install(None)
    results["observed"] = await timed(make_app(True), count, path)
    provider = TracerProvider()
    provider.add_span_processor(SpanProcessor())  # the base class drops every span
    tracing.install(provider)
    try:
        results["observed + tracing"] = await timed(make_app(True), count, path)
    finally:
        tracing.install(None)
    results["GET /metrics"] = await timed(make_app(True), max(1, count // 10), "/metrics") * 10
    return results


async def run(count: int, rounds: int) -> dict[str, float]:
    """The best of ``rounds`` interleaved runs of each: the least disturbed by other load."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, seconds in (await once(count)).items():
            best[name] = min(seconds, best.get(name, seconds))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(run(args.requests, args.rounds))
    bare = results["bare"]
    print(f"{'':20} {'req/s':>10} {'mean µs':>10} {'vs bare':>8}")
    for name, seconds in results.items():
        rate = args.requests / seconds
        mean = seconds / args.requests * 1e6
        print(f"{name:20} {rate:10.0f} {mean:10.1f} {seconds / bare:8.2f}")


if __name__ == "__main__":
    main()
