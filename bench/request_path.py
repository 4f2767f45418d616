"""What one ``POST /visits`` costs inside the visits process: worker-thread hops and commits.

    python -m bench.request_path
    python -m bench.request_path --database-url postgresql://postgres@127.0.0.1:5432/test

Runs the visits API in-process (no NATS: the relay just waits) and posts completed visits,
one client at a time and then from ``--concurrency`` threads, counting per POST:

* **hops**: calls into a worker thread made for the request (FastAPI's thread pool for ``def``
  routes and dependencies and for response validation, and ``shared.threads.in_thread``),
  counted only inside the request's own context, so the projections' hops are left out;
* **commits** on each store: the events (the recorder's ``insert_events``), the per-person
  key store and the audit log.

Counts are deterministic, so they compare across commits on a busy machine where rates do
not; the POST rate is printed too, for what it is worth there. Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import functools
import logging
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from services.visits.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, make_settings, unique_schema_prefix, visit_body

IN_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar("in_request", default=False)
OUTREACH = bearer(Role.OUTREACH, subject="v-1", team="west")
T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


class Marked:
    """Marks everything a request does (and the tasks it starts) as the request's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = IN_REQUEST.set(scope["type"] == "http")
        try:
            await self.app(scope, receive, send)
        finally:
            IN_REQUEST.reset(token)


def body(contacts: int) -> dict[str, Any]:
    return visit_body(T0, ["Bench-alias"] * contacts)


def hop_name(function: Callable[..., Any]) -> str:
    """What a hop ran: the route, response validation, a dependency, the audit append."""
    while isinstance(function, functools.partial):
        inner = function.keywords.get("function")  # FastAPI's wrapper around a ``def`` route
        function = inner if callable(inner) else function.func
    return str(getattr(function, "__qualname__", type(function).__name__))


@contextmanager
def counting(counts: Counter[str]) -> Iterator[None]:
    """Count the request's hops to worker threads."""
    run_sync, to_thread = anyio.to_thread.run_sync, asyncio.to_thread

    async def counted_run_sync(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if IN_REQUEST.get():
            counts["hops"] += 1
            counts[f"  {hop_name(function)}"] += 1
        return await run_sync(function, *args, **kwargs)

    async def counted_to_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if IN_REQUEST.get():
            counts["hops"] += 1
            counts[f"  {hop_name(function)}"] += 1
        return await to_thread(function, *args, **kwargs)

    anyio.to_thread.run_sync = counted_run_sync  # type: ignore[assignment]
    asyncio.to_thread = counted_to_thread
    try:
        yield
    finally:
        anyio.to_thread.run_sync = run_sync
        asyncio.to_thread = to_thread


def count_commits(runtime: Any, counts: Counter[str]) -> None:
    lock = threading.Lock()

    def wrap_store(name: str, store: Any) -> None:
        transaction = store.transaction

        @contextmanager
        def counted(*, commit: bool = True) -> Iterator[Any]:
            with transaction(commit=commit) as cursor:
                yield cursor
            if commit:
                with lock:
                    counts[f"{name} commits"] += 1

        store.transaction = counted

    wrap_store("audit", runtime.stores.audit._store)
    wrap_store("key store", runtime.stores.keyring._store)
    recorder = runtime.app.recorder
    insert = recorder.insert_events

    def counted_insert(*args: Any, **kwargs: Any) -> Any:
        result = insert(*args, **kwargs)
        with lock:
            counts["event commits"] += 1
        return result

    recorder.insert_events = counted_insert


def post_all(client: TestClient, posts: int, threads: int, contacts: int) -> float:
    per_thread = posts // threads

    def worker() -> None:
        for _ in range(per_thread):
            response = client.post("/visits", json=body(contacts), headers=OUTREACH)
            assert response.status_code == 201, response.text

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return per_thread * threads / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--contacts", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="postgresql://…; default SQLite")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    prefix = unique_schema_prefix()
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        settings = make_settings(
            ServiceName.VISITS,
            Path(tmp) / "var",
            database_url=args.database_url,
            schema_prefix=prefix if args.database_url else None,
        )
        try:
            app = create_app(settings)
            with TestClient(Marked(app)) as client:
                runtime = app.state.runtime
                post_all(client, 20, 1, args.contacts)  # warm up
                print(f"backend {'PostgreSQL' if args.database_url else 'SQLite'}")
                print(f"{'clients':>8}{'POSTs':>7}{'POST/s':>8}  per POST")
                for threads in (1, args.concurrency):
                    counts: Counter[str] = Counter()
                    count_commits(runtime, counts)
                    with counting(counts):
                        rate = post_all(client, args.posts, threads, args.contacts)
                    posts = args.posts // threads * threads
                    print(f"{threads:>8}{posts:>7}{rate:>8.0f}")
                    for name, value in sorted(counts.items(), key=lambda i: i[0].strip()):
                        print(f"{'':>25}{name:<34}{value / posts:>6.2f}")
                    for store in (runtime.stores.audit._store, runtime.stores.keyring._store):
                        del store.transaction
                    del runtime.app.recorder.insert_events
        finally:
            if args.database_url:
                from tests.support import drop_schemas

                drop_schemas(args.database_url, prefix)


if __name__ == "__main__":
    main()
