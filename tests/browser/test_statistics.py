"""Managers' statistics: charts with their tables, suppressed cells marked, and the CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import PHONE, Visitor, assert_accessible, screenshot
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until

#: Months far enough back that no other test records anything in them.
BUSY, QUIET = "2018-03", "2018-04"
LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="sg-stats")


def women_met(system: WebSystem, month: str, how_many: int) -> None:
    """One visit in ``month`` meeting ``how_many`` women: as many journeys opened that month."""
    at = f"{month}-15T21:00:00+00:00"
    response = system.post_visit(
        {
            "visit_id": str(uuid4()),
            "premises_label": "P-stats",
            "team": "west",
            "started_at": f"{month}-15T20:00:00+00:00",
            "completed_at": at,
            "contacts": [
                {"contact_id": str(uuid4()), "alias": f"W{n}", "language": "en"}
                for n in range(how_many)
            ],
        }
    )
    assert response.status_code == 201, response.text


def journeys_opened_in(system: WebSystem, month: str, expected: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        items = httpx.get(
            system.url(ServiceName.CASES) + "/journeys",
            params={"limit": 200},
            headers=LEAD,
            timeout=10,
        ).json()["items"]
        mine = [i for i in items if str(i["opened_at"]).startswith(month)]
        return mine if len(mine) == expected else None

    return wait_until(found, timeout=30, message=f"{expected} journeys opened in {month}")


def assess(system: WebSystem, journey_id: str, needs: list[str], month: str) -> None:
    """Register her (casework needs it), then record her needs that month."""
    registered = httpx.post(
        system.url(ServiceName.CASES) + f"/journeys/{journey_id}/registration",
        json={"pseudonym": f"S-{journey_id[:6]}", "occurred_at": f"{month}-18T10:00:00+00:00"},
        headers=LEAD,
        timeout=10,
    )
    assert registered.status_code == 200, registered.text
    response = httpx.post(
        system.url(ServiceName.CASES) + f"/journeys/{journey_id}/needs-assessments",
        json={"needs": needs, "occurred_at": f"{month}-20T10:00:00+00:00"},
        headers=LEAD,
        timeout=10,
    )
    assert response.status_code == 200, response.text


def published(system: WebSystem) -> list[dict[str, Any]]:
    response = httpx.get(
        system.url(ServiceName.CASES) + "/statistics",
        params={"from": BUSY, "to": QUIET},
        headers=bearer(Role.MANAGER, subject="mgr-api"),
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["items"])


def test_a_manager_sees_charts_with_tables_suppressed_cells_marked_and_downloads_the_csv(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    women_met(waymark, BUSY, 12)
    women_met(waymark, QUIET, 3)
    busy = journeys_opened_in(waymark, BUSY, 12)
    journeys_opened_in(waymark, QUIET, 3)
    # Housing and money for all twelve, health for three: health is suppressed, and so is the
    # smallest other cell that month (complementary suppression).
    for index, journey in enumerate(busy):
        needs = ["housing", "money"] + (["health"] if index < 3 else [])
        assess(waymark, journey["journey_id"], needs, BUSY)

    # Three cells show once the first assessment is folded: wait for the last one too (money
    # counted for all twelve), not only for the cells, before the page shows the counts.
    def all_needs_counted() -> bool:
        cells = [c for c in published(waymark) if c["measure"] == "needs_assessed"]
        money = [c["count"] for c in cells if c["code"] == "money"]
        return len(cells) == 3 and money == [12]

    wait_until(all_needs_counted, message="the needs of all twelve counted")

    person = visitor()
    page = person.sign_in(Role.MANAGER, subject="mgr-1")
    page.goto(f"/statistics?from={BUSY}&to={QUIET}")
    assert page.get_by_role("link", name="Statistics").get_attribute("aria-current") == "page"

    opened = page.locator("section", has=page.get_by_role("heading", name="Journeys opened"))
    chart = opened.locator("svg[role=img]")
    assert chart.locator("title").text_content() == "Journeys opened, by month"
    table = opened.locator("table")
    assert table.locator("tbody tr").nth(0).inner_text().split("\t") == ["Mar 2018", "12"]
    second = table.locator("tbody tr").nth(1).inner_text().split("\t")
    assert second == ["Apr 2018", "fewer than 11"]
    # The suppressed bar is drawn, hatched, and says so in words.
    assert chart.locator("rect.waymark-chart__bar--suppressed").count() == 1
    assert "fewer than 11" in chart.locator("text").all_text_contents()

    needs = page.locator("section", has=page.get_by_role("heading", name="Needs assessed"))
    rows = dict(r.split("\t") for r in needs.locator("tbody tr").all_inner_texts())
    assert rows == {
        "Mar 2018 · health": "fewer than 11",
        "Mar 2018 · housing": "fewer than 11",
        "Mar 2018 · money": "12",
    }
    assert "0" not in rows.values() and "" not in rows.values()
    referrals = page.locator("section", has=page.get_by_role("heading", name="Referrals"))
    assert "Nothing recorded in these months" in referrals.inner_text()
    assert_accessible(page)
    screenshot(page, "statistics")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these numbers as CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"waymark-statistics-{BUSY}-to-{QUIET}.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows_csv = list(csv.DictReader(handle))
    by_key = {(r["measure"], r["month"], r["code"]): r["count"] for r in rows_csv}
    assert by_key[("journeys_opened", BUSY, "all")] == "12"
    assert by_key[("journeys_opened", QUIET, "all")] == "<11"
    assert by_key[("needs_assessed", BUSY, "health")] == "<11"
    assert by_key[("needs_assessed", BUSY, "money")] == "12"
    # The same numbers as the service publishes, cell for cell.
    assert len(rows_csv) == len(published(waymark))

    cookies = {c["name"]: c["value"] for c in person.context.cookies()}
    response = httpx.get(
        waymark.web_url + "/statistics.csv",
        params={"from": BUSY, "to": QUIET},
        cookies=cookies,
    )
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("text/csv")
    header = next(iter(csv.reader(io.StringIO(response.text))))
    assert header == ["measure", "month", "code", "count"]


def test_a_wrong_month_is_named_without_echoing_it_and_the_page_works_on_a_phone(
    visitor: Callable[..., Visitor],
) -> None:
    person = visitor(PHONE)
    page = person.sign_in(Role.MANAGER, subject="mgr-2")
    page.goto("/statistics")
    assert page.get_by_label("First month").input_value()  # the last twelve months by default
    page.get_by_label("First month").fill("March")
    page.get_by_role("button", name="Show these months").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the first month as" in summary.inner_text()
    assert "March" not in summary.inner_text()
    assert page.get_by_label("First month").input_value() == "March"  # her input is kept
    assert_accessible(page)


def test_statistics_are_for_managers_only(visitor: Callable[..., Visitor]) -> None:
    person = visitor()
    page = person.sign_in(Role.CASEWORKER, subject="cw-stats")
    page.goto("/statistics")
    assert page.get_by_role("heading", name="This is not available to you").is_visible()
