"""What authentication and the audit log cost a request, measured over the real app stack.

    python -m bench.access_overhead [--requests 2000] [--postgres DSN]

Reads one journey again and again through the cases service in-process (FastAPI's TestClient:
no network, so the middleware and the store are what is measured), three ways in one run:

* **raw**: ``CasesApplication.get_journey`` called directly (the eventsourcing library's cost);
* **no audit**: the full HTTP stack with its bearer-token check, the audit append replaced by a
  no-op (what the service would cost if the audit log were switched off, which it cannot be);
* **audited**: the full stack as deployed: token verified, role and journey checked, one
  hash-chained audit entry written before the response leaves.

It prints requests/s, mean µs, and the ratios; the audit's own price is the difference between
the last two. Run it on a quiet machine; figures vary with load.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from services.cases.application import CasesApplication
from services.cases.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, make_settings, unique_schema_prefix


def timed(count: int, call: Callable[[], Any]) -> float:
    for _ in range(min(100, count)):  # warm caches and connection pools
        call()
    started = time.perf_counter()
    for _ in range(count):
        call()
    return time.perf_counter() - started


def run(var_dir: Path, count: int, dsn: str | None) -> dict[str, float]:
    overrides: dict[str, Any] = {}
    if dsn:
        overrides = {"database_url": dsn, "schema_prefix": unique_schema_prefix()}
    settings = make_settings(ServiceName.CASES, var_dir, **overrides)
    headers = bearer(Role.CASEWORKER, subject="cw-bench")
    with TestClient(create_app(settings), headers=headers) as client:
        journey_id = str(uuid4())
        body = {"journey_id": journey_id, "pseudonym": "R-1", "preferred_languages": ["ro"]}
        assert client.post("/journeys", json=body).status_code == 201
        cases: CasesApplication = client.app.state.runtime.app  # type: ignore[attr-defined]
        audit = client.app.state.runtime.stores.audit  # type: ignore[attr-defined]

        def get() -> None:
            assert client.get(f"/journeys/{journey_id}").status_code == 200

        results = {"raw": timed(count, lambda: cases.get_journey(UUID(journey_id)))}
        results["audited"] = timed(count, get)
        real_append = audit.append
        audit.append = lambda entry: None
        try:
            results["no audit"] = timed(count, get)
        finally:
            audit.append = real_append
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("WAYMARK_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        backends.append(("PostgreSQL", args.postgres))
    print(f"{'backend':<11}{'way':<10}{'req/s':>9}{'µs/req':>9}{'÷ raw':>8}")
    for name, dsn in backends:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = run(Path(tmp) / "var", args.requests, dsn)
        raw = args.requests / seconds["raw"]
        for way in ("raw", "no audit", "audited"):
            rate = args.requests / seconds[way]
            micros = 1e6 * seconds[way] / args.requests
            print(f"{name:<11}{way:<10}{rate:>9,.0f}{micros:>9,.0f}{rate / raw:>8.3f}")
        audit_us = 1e6 * (seconds["audited"] - seconds["no audit"]) / args.requests
        print(f"{name:<11}the audit entry costs {audit_us:,.0f} µs a request")


if __name__ == "__main__":
    main()
