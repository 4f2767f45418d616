"""The outreach app on a phone: what its shell costs to fetch, and how long a queue takes to send.

Starts the whole system with its web app (as ``tests/browser/system.py`` does) and Debian's
chromium at 360x740, signs in a volunteer and opens ``/outreach/``. Prints:

- the shell's size: every file the service worker keeps (the page, CSS, scripts, manifest,
  icon), as transferred and gzipped as a server in front of the app would (level 6);
- the time from "online" until the last of ``--visits`` visits queued offline is confirmed
  (the app's own outbox sends them: one POST each, with its Idempotency-Key).

Asserts nothing about timing; the figures measured so far are in docs/performance.md.

    python -m bench.outreach_shell --visits 50
"""

from __future__ import annotations

import argparse
import gzip
import time
from typing import Any

import httpx

from bench.systems import running
from services.web.pages.outreach import SHELL_ASSETS
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import CHROMIUM, PHONE, Visitor
from tests.browser.system import WebSystem
from tests.support import bearer

PIN = "482913"

# Queues visits the way the app does (sealed under the shift key), without 50 rounds of taps.
QUEUE = """async (count) => {
  const { openKey } = await import("/static/outreach/keys.js");
  const { Outbox, newDoc } = await import("/static/outreach/outbox.js");
  const store = await import("/static/outreach/store.js");
  const key = await openKey(PIN, await store.get("meta", "key"));
  const outbox = new Outbox(key);
  const at = new Date(Date.now() - 3600e3).toISOString();
  for (let i = 0; i < count; i++) {
    await outbox.keep(newDoc({
      visit_id: crypto.randomUUID(), premises_label: `Bench ${i}`, team: "bench",
      volunteers: ["vol-bench"], languages_offered: ["ro"], started_at: at,
      completed_at: new Date().toISOString(), outcome: null, urgent_concerns: [],
      contacts: [{ contact_id: crypto.randomUUID(), alias: `Bench alias ${i}`, language: "ro",
        other_languages: [], materials: ["contact_card"], occurred_at: at, follow_up: null,
        indicators: [{ observation_id: crypto.randomUUID(), indicator: "debt_bondage",
          source: "disclosed" }] }],
    }));
  }
}""".replace("PIN", f'"{PIN}"')

SENT = """async () => {
  const store = await import("/static/outreach/store.js");
  return (await store.all("visits")).filter((v) => v.state === "sent").length;
}"""


def shell_size(system: WebSystem, cookies: dict[str, str]) -> tuple[int, int]:
    raw = compressed = 0
    with httpx.Client(base_url=system.web_url, cookies=cookies) as client:
        for path in SHELL_ASSETS:
            body = client.get(path).content
            raw += len(body)
            compressed += len(gzip.compress(body, compresslevel=6))
            print(f"  {path:48} {len(body):8,d} B  {len(gzip.compress(body, 6)):7,d} B gzip")
    return raw, compressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running(WebSystem) as system, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        person = Visitor(browser, system, PHONE)
        page: Any = person.sign_in(Role.OUTREACH, subject="vol-bench", team="bench")
        page.goto("/outreach/")
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        page.get_by_label("PIN (at least 6 digits)").fill(PIN)
        page.get_by_label("The same PIN again").fill(PIN)
        page.get_by_role("button", name="Start the shift").click()
        page.get_by_role("button", name="Start a visit").wait_for()

        cookies = {c["name"]: c["value"] for c in person.context.cookies()}
        print("The app shell (what the service worker keeps):")
        raw, compressed = shell_size(system, cookies)
        print(f"  total: {raw:,d} B, {compressed:,d} B gzipped (goal: under 100 KB)")

        person.context.set_offline(True)
        page.evaluate(QUEUE, args.visits)
        started = time.perf_counter()
        person.context.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        while page.evaluate(SENT) < args.visits:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        recorded = httpx.get(
            system.url(ServiceName.VISITS) + "/visits",
            params={"team": "bench", "limit": 200},
            headers=bearer(Role.SAFEGUARDING_LEAD, subject="sg-bench"),
        ).json()["total"]
        posts = page.evaluate(
            """() => performance.getEntriesByType("resource")
                    .filter((e) => e.name.endsWith("/outreach/api/visits"))
                    .map((e) => e.duration)"""
        )
        print(
            f"  {len(posts)} POSTs, {sum(posts) / 1000:.2f} s of it waiting for the "
            f"server (median {sorted(posts)[len(posts) // 2]:.0f} ms)"
        )
        print(
            f"Queue of {args.visits} visits: online to the last confirmed in "
            f"{elapsed:.2f} s ({elapsed / args.visits * 1000:.0f} ms a visit); "
            f"the visits service lists {recorded} (a projection: it may lag)"
        )
        person.close()
        browser.close()


if __name__ == "__main__":
    main()
