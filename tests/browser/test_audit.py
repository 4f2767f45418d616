"""The auditor's screens: who read which record, when and why, one service's log or all three
merged by time; and whether each service's chain is intact."""

from __future__ import annotations

from collections.abc import Callable

from shared.security.roles import Role
from tests.browser.conftest import PHONE, SHOW_PERSONAL, Visitor, assert_accessible, screenshot
from tests.browser.journeys import a_journey, admin_on_her_journey
from tests.browser.system import WebSystem


def test_given_an_admin_read_her_journey_when_the_auditor_searches_then_she_finds_who_and_why(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    her = a_journey(waymark, "audited")
    admin = admin_on_her_journey(visitor(), "adm-audited", her)
    admin.get_by_role("button", name=SHOW_PERSONAL).click()
    assert admin.get_by_text("Personal details shown").is_visible()

    page = visitor().sign_in(Role.AUDITOR, subject="au-1")
    assert page.url.endswith("/audit")
    assert_accessible(page)
    page.get_by_label("Service").select_option("cases")
    page.get_by_label("Record id").fill(str(her.journey_id))
    page.get_by_label("Who (staff id)").fill("adm-audited")
    page.get_by_role("button", name="Search").click()

    rows = page.get_by_role("row").filter(has_text="adm-audited")
    assert rows.count() == 2  # the history, then the history with her personal details
    newest, oldest = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "history-with-personal-data" in newest and "200 served" in newest
    assert "/admin/aggregates/{aggregate_id}/history" in oldest
    assert "history-with-personal-data" not in oldest
    assert her.pseudonym not in page.content()
    assert_accessible(page)
    screenshot(page, "audit-search")

    # All three logs merged by time still find her record's reads in cases.
    page.get_by_label("Service").select_option("all")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("row").filter(has_text="adm-audited").count() == 2

    # Refused reads only: the admin's were all served.
    page.get_by_label("Outcome").select_option("refused")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_text("Nothing matches").is_visible()


def test_given_a_filter_that_is_no_id_when_the_auditor_searches_then_it_is_refused_unechoed(
    visitor: Callable[..., Visitor],
) -> None:
    page = visitor().sign_in(Role.AUDITOR, subject="au-2")
    page.goto("/audit")
    page.get_by_label("Who (staff id)").fill("Ana <Smith>")
    page.get_by_label("From").fill("2026-11-20")
    page.get_by_label("To (inclusive)").fill("2026-11-10")
    page.get_by_role("button", name="Search").click()
    summary = page.locator("#error-summary").inner_text()
    assert "Use only letters" in summary and "on or after the start date" in summary
    assert "Ana" not in page.content()
    assert_accessible(page)


def test_given_the_logs_when_the_auditor_checks_the_chain_then_each_service_says_intact(
    visitor: Callable[..., Visitor],
) -> None:
    page = visitor().sign_in(Role.AUDITOR, subject="au-3")
    page.goto("/audit")
    page.get_by_role("link", name="Check the chain").click()
    for service in ("visits", "cases", "notifications"):
        assert page.locator(f"#chain-{service}").inner_text().startswith("Intact")
    assert_accessible(page)
    screenshot(page, "audit-verify")


def test_the_audit_search_fits_a_phone(visitor: Callable[..., Visitor]) -> None:
    page = visitor(PHONE).sign_in(Role.AUDITOR, subject="au-phone")
    page.goto("/audit?service=cases")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
