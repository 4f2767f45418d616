"""How long the largest visit the API accepts holds up everyone else's on the way to cases.

Starts the whole system (NATS and three service processes, as ``tests/e2e/system.py`` does),
posts an ordinary visit (one contact) every ``--interval`` seconds and times each from its POST
until cases serves her journey; after a baseline, posts ``--large`` of the largest visits the
API accepts (every list at its bound) and times those too. Prints the ordinary visits' latency
before and while the large ones flow, and the large ones' own. Asserts nothing about timing;
the figures measured so far are in docs/performance.md.

    python -m bench.large_visit --large 3
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from bench.systems import running
from services.cases.domain import Journey
from services.visits.visit.limits import (
    MAX_CONTACTS,
    MAX_PERSON_INDICATORS,
    MAX_PREMISES_INDICATORS,
    MAX_URGENT_CONCERNS,
)
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.e2e.system import System

CODES = ["escorted", "debt_bondage", "withholds_documents", "false_promises", "other"]


def visit(contacts: int, *, largest: bool = False) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(hours=1)
    per_contact = MAX_PERSON_INDICATORS // MAX_CONTACTS if largest else 0
    people = [
        {
            "contact_id": str(uuid4()),
            "alias": "Ana",
            "language": "ro",
            "indicators": [
                {"indicator": CODES[i % len(CODES)], "source": "observed"}
                for i in range(per_contact)
            ],
            **(
                {
                    "follow_up": {
                        "kind": "coffee",
                        "due_at": (started + timedelta(days=3)).isoformat(),
                    }
                }
                if largest
                else {}
            ),
        }
        for _ in range(contacts)
    ]
    body: dict[str, Any] = {
        "visit_id": str(uuid4()),
        "premises_label": "P-12",
        "team": "west",
        "volunteers": ["v-1"],
        "languages_offered": ["ro"],
        "started_at": started.isoformat(),
        "completed_at": (started + timedelta(minutes=50)).isoformat(),
        "contacts": people,
    }
    if largest:
        body["premises_indicators"] = [
            {"indicator": "living_on_site", "source": "observed"}
        ] * MAX_PREMISES_INDICATORS
        body["urgent_concerns"] = [{"concern": "possible_minor"}] * MAX_URGENT_CONCERNS
    return body


def journeys_of(body: dict[str, Any]) -> list[str]:
    return [str(Journey.create_id(UUID(c["contact_id"]))) for c in body["contacts"]]


class Watch:
    """One thread polls cases for every visit still on its way (one poller per visit would
    itself starve the service being measured)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.pending: dict[str, tuple[list[str], float, list[float]]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll)
        self.thread.start()

    def post(self, body: dict[str, Any], out: list[float]) -> None:
        with self.system.client(
            ServiceName.VISITS, Role.OUTREACH, subject="v-1", timeout=60
        ) as visits:
            sent = time.perf_counter()
            response = visits.post("/visits", json=body)
        assert response.status_code == 201, response.text
        with self.lock:
            self.pending[body["visit_id"]] = (journeys_of(body), sent, out)

    def _poll(self) -> None:
        with self.system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="sg-1") as cases:
            while not self.stop.is_set() or self.pending:
                with self.lock:
                    waiting = list(self.pending.items())
                for visit_id, (wanted, sent, out) in waiting:
                    if all(cases.get(f"/journeys/{j}").status_code == 200 for j in wanted):
                        out.append(time.perf_counter() - sent)
                        with self.lock:
                            del self.pending[visit_id]
                time.sleep(0.1)


def summary(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    return (
        f"n={len(values)} median={statistics.median(ordered):.2f}s "
        f"p90={ordered[int(0.9 * (len(ordered) - 1))]:.2f}s max={ordered[-1]:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--baseline-s", type=float, default=10)
    parser.add_argument("--after-s", type=float, default=10)
    args = parser.parse_args()
    with running(System) as system:
        run(system, args)


def run(system: System, args: argparse.Namespace) -> None:
    watch = Watch(system)
    ordinary: dict[str, list[float]] = {"baseline": [], "large": []}
    phase = {"name": "baseline"}
    stop = threading.Event()

    def ordinary_visits() -> None:
        while not stop.is_set():
            watch.post(visit(1), ordinary[phase["name"]])
            time.sleep(args.interval)

    background = threading.Thread(target=ordinary_visits)
    background.start()
    time.sleep(args.baseline_s)
    phase["name"] = "large"
    large: list[float] = []
    bodies = [visit(MAX_CONTACTS, largest=True) for _ in range(args.large)]
    size = len(httpx.Request("POST", "http://x", json=bodies[0]).content)
    for body in bodies:
        watch.post(body, large)
    time.sleep(args.after_s)
    stop.set()
    background.join()
    watch.stop.set()
    watch.thread.join()
    print(f"largest visit body: {size / 1024:.0f} kB, {args.large} posted one after another")
    print(f"large visits, POST → all journeys in cases: {summary(large)}")
    print(f"ordinary visits before:                     {summary(ordinary['baseline'])}")
    print(f"ordinary visits while they flow:            {summary(ordinary['large'])}")


if __name__ == "__main__":
    main()
