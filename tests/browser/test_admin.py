"""The admin's screens: a journey's history (her personal details only on an explicit, audited
action), the journey as known on a date, erasure approved by a second admin, the subject
access export, and rebuilding a read model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import PHONE, SHOW_PERSONAL, Visitor, assert_accessible, screenshot
from tests.browser.journeys import a_journey, admin_on_her_journey
from tests.browser.system import WebSystem
from tests.support import wait_until


def test_given_a_journey_when_the_admin_finds_it_then_her_history_withholds_her_details_until_asked(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    her = a_journey(waymark, "hist")
    page = visitor().sign_in(Role.ADMIN, subject="adm-history")
    assert page.url.endswith("/admin")
    assert_accessible(page)
    screenshot(page, "admin")

    page.get_by_label("Journey id").fill("Ana Smith")
    page.get_by_role("button", name="Find the journey").click()
    # Not an id: refused in plain words, and what she typed is not shown back.
    assert page.get_by_text("Enter a journey id").first.is_visible()
    assert "Ana Smith" not in page.content()

    page.get_by_label("Journey id").fill(str(her.journey_id))
    page.get_by_role("button", name="Find the journey").click()
    assert page.url.endswith(f"/admin/journeys/{her.journey_id}")
    assert page.get_by_role("heading", name="Journey history").is_visible()
    assert page.get_by_role("cell", name="PersonRegistered", exact=True).is_visible()
    assert her.pseudonym not in page.content()
    assert page.get_by_text("withheld").first.is_visible()
    assert_accessible(page)
    screenshot(page, "admin-history")

    page.get_by_role("button", name=SHOW_PERSONAL).click()
    assert page.get_by_text("Personal details shown").is_visible()
    assert page.get_by_text(her.pseudonym).is_visible()
    # The personal read was a POST: nothing of it sits in the address.
    assert page.url.endswith(f"/admin/journeys/{her.journey_id}/personal")
    assert_accessible(page)

    # Cases recorded the personal read with its purpose.
    with waymark.client(ServiceName.CASES, Role.AUDITOR, subject="au-check") as auditor:
        entries = auditor.get(
            "/audit", params={"record_id": str(her.journey_id), "actor": "adm-history"}
        ).json()["items"]
    assert "history-with-personal-data" in [e["purpose"] for e in entries]


def test_given_a_later_change_when_the_admin_looks_as_of_before_it_then_she_sees_the_earlier_state(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    her = a_journey(waymark, "asof")
    page = admin_on_her_journey(visitor(), "adm-asof", her)
    # Now she has a caseworker; she was assigned after her registration.
    assert page.get_by_role("cell", name="CaseworkerAssigned", exact=True).is_visible()

    registered = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name="PersonRegistered", exact=True)
    )
    registered.get_by_role("link", name="As known then").click()
    assert page.get_by_role("heading", name="As known on").is_visible()
    known = page.locator("#as-known + dl").inner_text()
    assert "Registered at" in known and "Pseudonym\twithheld" in known
    assert her.caseworker not in known
    assert page.get_by_role("cell", name="PersonRegistered", exact=True).is_visible()
    assert page.get_by_role("cell", name="CaseworkerAssigned", exact=True).count() == 0
    assert her.pseudonym not in page.content()
    assert_accessible(page)
    screenshot(page, "admin-as-of")

    # The date form: today, with no time, is the journey as known now.
    page.get_by_label("Time (UTC)").fill("")
    page.get_by_role("button", name="Show the journey as known then").click()
    assert her.caseworker in page.locator("#as-known + dl").inner_text()

    # A date that cannot be read is refused beside the field.
    page.goto(f"/admin/journeys/{her.journey_id}/as-of?day=2026-02-31")
    assert page.get_by_text("Enter a date").first.is_visible()
    assert "2026-02-31" not in page.locator("#error-summary").inner_text()


def listed_row(page: Any, text: str) -> Any:
    """The list comes from a read model that may lag the write by a moment: reload until the
    row is there."""

    def present() -> Any:
        row = page.get_by_role("row").filter(has_text=text)
        if row.count():
            return row
        page.reload()
        return None

    return wait_until(present, timeout=30, interval=0.5, message="the row listed")


def test_given_an_erasure_asked_by_one_admin_then_only_another_admin_can_approve_it(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    her = a_journey(waymark, "erase")
    first = admin_on_her_journey(visitor(), "adm-a", her)
    first.get_by_role("link", name="Ask for erasure").click()
    first.get_by_role("button", name="Ask for erasure").click()
    assert first.get_by_text("Choose why her data is to be erased").first.is_visible()
    first.get_by_label("She asked for her data to be erased").check()
    first.get_by_role("button", name="Ask for erasure").click()

    assert first.url.endswith("/admin/erasure?state=pending")
    row = listed_row(first, str(her.journey_id))
    assert "adm-a" in row.inner_text() and "Waiting" in row.inner_text()
    assert_accessible(first)
    screenshot(first, "admin-erasure")

    row.get_by_role("link", name="Review").click()
    assert_accessible(first)
    first.get_by_role("button", name="Approve and erase now").click()
    # The service refuses the requester; the page says so plainly.
    assert first.get_by_text(
        "An erasure must be approved by someone other than the person who asked for it"
    ).is_visible()
    assert_accessible(first)

    second = visitor().sign_in(Role.ADMIN, subject="adm-b")
    second.goto("/admin/erasure")
    listed_row(second, str(her.journey_id)).get_by_role("link", name="Review").click()
    second.get_by_role("button", name="Approve and erase now").click()
    assert second.url.endswith(f"/admin/journeys/{her.journey_id}")
    state = second.locator("#erasure-state").inner_text()
    assert "Erased" in state and "adm-a" in state and "adm-b" in state

    # With her personal details asked for, there are none left to show.
    second.get_by_role("button", name=SHOW_PERSONAL).click()
    assert her.pseudonym not in second.content()
    assert second.get_by_text("erased", exact=True).first.is_visible()

    second.goto("/admin/erasure?state=erased")
    assert "adm-b" in listed_row(second, str(her.journey_id)).inner_text()
    assert_accessible(second)


def test_given_a_journey_when_the_admin_downloads_subject_access_then_one_file_holds_all_three(
    visitor: Callable[..., Visitor], waymark: WebSystem, tmp_path: Path
) -> None:
    her = a_journey(waymark, "sar")
    person = visitor()
    page = person.sign_in(Role.ADMIN, subject="adm-sar")
    page.goto(f"/admin/journeys/{her.journey_id}/subject-access")
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the export (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == f"subject-access-{her.journey_id}.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    export = json.loads(saved.read_text())
    assert export["journey_id"] == str(her.journey_id)
    assert set(export["services"]) == {"visits", "cases", "notifications"}
    for name, part in export["services"].items():
        assert part["format"] == "waymark-subject-access/1" and part["service"] == name
    assert her.pseudonym in saved.read_text()

    with page.expect_download() as html_info:
        page.get_by_role("button", name="Download the readable document (HTML)").click()
    readable = tmp_path / "export.html"
    html_info.value.save_as(readable)
    assert "Information held about you" in readable.read_text()

    # The file's headers: an attachment, never kept in a cache.
    cookies = {c["name"]: c["value"] for c in person.context.cookies()}
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = httpx.post(
        f"{waymark.web_url}/admin/journeys/{her.journey_id}/subject-access",
        cookies=cookies,
        data={"csrf_token": csrf, "format": "json"},
        timeout=30,
    )
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["cache-control"] == "no-store"


def test_given_a_read_model_when_the_admin_rebuilds_it_then_she_sees_it_finish(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    a_journey(waymark, "rebuild")
    page = visitor().sign_in(Role.ADMIN, subject="adm-rebuild")
    page.goto("/admin/read-models")
    for service, model in (
        ("visits", "premises_history"),
        ("cases", "caseload"),
        ("notifications", "inbox"),
    ):
        assert page.locator(f"a[href='/admin/read-models/{service}/{model}']").count() == 1
    assert_accessible(page)
    screenshot(page, "admin-rebuilds")

    page.locator("a[href='/admin/read-models/cases/caseload']").click()
    page.get_by_role("button", name="Start the rebuild").click()
    assert page.url.endswith("/admin/read-models/cases/caseload")
    # htmx asks again every 2 s until the rebuild is done; the tag then says so.
    page.get_by_text("Finished").wait_for(timeout=30_000)
    assert_accessible(page)
    page.goto("/admin/read-models")
    row = page.get_by_role("row").filter(has=page.locator("a[href$='/cases/caseload']"))
    assert "Finished" in row.inner_text()


def test_the_admin_screens_fit_a_phone(visitor: Callable[..., Visitor], waymark: WebSystem) -> None:
    her = a_journey(waymark, "phone")
    page = visitor(PHONE).sign_in(Role.ADMIN, subject="adm-phone")
    for path in ("/admin", f"/admin/journeys/{her.journey_id}", "/admin/erasure"):
        page.goto(path)
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path


def test_the_admin_screens_are_for_admins_only(
    visitor: Callable[..., Visitor],
) -> None:
    page = visitor().sign_in(Role.AUDITOR, subject="au-not-admin")
    page.goto("/admin")
    assert page.get_by_role("heading", name="This is not available to you").is_visible()
