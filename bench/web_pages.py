"""What the web app adds on top of the services' APIs, on its two heaviest pages.

Against the whole running system (NATS, the three services and the web app as real processes,
SQLite): the caseload page (``/caseload``, a safeguarding lead's view of 1,000 journeys) and the
journey page (``/journeys/{id}``) of a journey with 1,000 events. Each page answers with a
``Server-Timing`` header (``api``: time spent waiting for the services; ``page``: the whole
answer), so one request gives both figures; the bench also times the page from the client.

Run from the repository root::

    python -m bench.web_pages --journeys 1000 --events 1000 --requests 30

The goal (issue 10): the web layer adds at most 20 % to the time of the API calls a page makes
(``page ÷ api ≤ 1.2``). Nothing here asserts anything about timing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import httpx

from bench.systems import running
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.system import WebSystem
from tests.support import visit_body, wait_until

TIMING = re.compile(r"(api|page);dur=([0-9.]+)")


def make_journeys(system: WebSystem, count: int) -> None:
    def post(_: int) -> None:
        body = visit_body(aliases=["Bench"])
        response = system.post_visit(body, **{"Idempotency-Key": body["visit_id"]})
        response.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, range(count)))
    lead = system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="sg-bench")
    wait_until(
        lambda: lead.get("/journeys", params={"limit": 1}).json()["total"] >= count,
        timeout=600,
        interval=1,
        message=f"{count} journeys listed",
    )


def long_journey(system: WebSystem, events: int) -> str:
    cases = system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="sg-bench")
    journey_id = cases.get("/journeys", params={"limit": 1}).json()["items"][0]["journey_id"]
    registration = {"pseudonym": "R-1", "preferred_languages": ["en"]}
    cases.post(f"/journeys/{journey_id}/registration", json=registration).raise_for_status()
    for _ in range(events):
        body = {"meeting_id": str(uuid4()), "meeting_type": "coffee"}
        cases.post(f"/journeys/{journey_id}/meetings", json=body).raise_for_status()
    return str(journey_id)


def signed_in(system: WebSystem) -> httpx.Client:
    client = httpx.Client(base_url=system.web_url, timeout=30)
    form = client.get("/sign-in").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token is not None
    client.post(
        "/sign-in/development",
        data={
            "form_token": token[1],
            "role": "safeguarding_lead",
            "subject": "sg-bench",
            "next": "/",
        },
    )
    return client


def measure(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    client.get(path).raise_for_status()  # warm
    wall, api, page = [], [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        timings = dict(TIMING.findall(response.headers.get("server-timing", "")))
        api.append(float(timings["api"]))
        page.append(float(timings["page"]))
    return {
        "client_ms": statistics.median(wall),
        "page_ms": statistics.median(page),
        "api_ms": statistics.median(api),
        "page_over_api": statistics.median(p / a for p, a in zip(page, api, strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with running(WebSystem) as system:
        started = time.perf_counter()
        make_journeys(system, args.journeys)
        journey_id = long_journey(system, args.events)
        print(
            f"set up {args.journeys} journeys and a {args.events}-event journey "
            f"in {time.perf_counter() - started:.0f} s"
        )
        client = signed_in(system)
        results = {
            "caseload": measure(client, "/caseload", args.requests),
            "journey": measure(client, f"/journeys/{journey_id}", args.requests),
        }
    print(f"{'page':<10}{'client ms':>11}{'page ms':>10}{'api ms':>9}{'page÷api':>10}")
    for name, figures in results.items():
        print(
            f"{name:<10}{figures['client_ms']:>11.1f}{figures['page_ms']:>10.1f}"
            f"{figures['api_ms']:>9.1f}{figures['page_over_api']:>10.2f}"
        )
    print(json.dumps({"journeys": args.journeys, "events": args.events, **results}))


if __name__ == "__main__":
    main()
