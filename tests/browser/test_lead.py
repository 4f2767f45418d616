"""The safeguarding lead: the urgent-concern banner on every page until she acknowledges, the
inbox, premises with their history, visits and one visit.

This module runs its own system with a rota (sg-lead on call, sg-deputy her deputy) and an
escalation after half a minute, so that an escalation can be seen to happen — and to not happen
for the concern she acknowledged (well within that half minute, even on a loaded machine).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

import services.notifications
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import PHONE, Visitor, assert_accessible, reload_until, screenshot
from tests.browser.journeys import register_premises
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until

LEAD, DEPUTY = "sg-lead", "sg-deputy"
BANNER = ".waymark-urgent"


def _config(root: Path) -> Path:
    packaged = Path(services.notifications.__file__).parent / "notifications.json"
    document = json.loads(packaged.read_text())
    today = datetime.now(UTC).date()
    document["on_call"] = {
        "rota": [
            {
                "starts_on": str(today - timedelta(days=1)),
                "ends_on": str(today + timedelta(days=1)),
                "lead": LEAD,
                "deputy": DEPUTY,
            }
        ]
    }
    document["rules"]["urgent_concern"]["escalate_after_minutes"] = 0.5
    path = root / "notifications.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def waymark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSystem]:
    root = tmp_path_factory.mktemp("lead-system")
    config = _config(root)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WAYMARK_NOTIFICATIONS_CONFIG_FILE", str(config))
        running = WebSystem(root).start()
    running.notifications_config = config  # type: ignore[attr-defined]
    yield running
    running.stop()


# --- data through the services' APIs --------------------------------------------------------


def _at(minutes_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def post_visit(
    system: WebSystem,
    *,
    premises_id: str | None = None,
    label: str = "P-lead",
    concern: str | None = None,
    alias: str = "Ana",
    details: str = "Looked frightened; said the door is locked at night",
) -> str:
    visit_id, contact_id = str(uuid4()), str(uuid4())
    body: dict[str, Any] = {
        "visit_id": visit_id,
        "team": "west",
        "languages_offered": ["ro", "en"],
        "started_at": _at(60),
        "completed_at": _at(30),
        "contacts": [{"contact_id": contact_id, "alias": alias, "language": "ro"}],
    }
    body |= {"premises_id": premises_id} if premises_id else {"premises_label": label}
    if concern:
        body["urgent_concerns"] = [
            {"concern": concern, "contact_id": contact_id, "details": details}
        ]
    response = system.post_visit(body)
    assert response.status_code == 201, response.text
    return visit_id


def inbox_of(system: WebSystem, subject: str, **params: Any) -> dict[str, Any]:
    response = httpx.get(
        system.url(ServiceName.NOTIFICATIONS) + "/inbox",
        params={"limit": 200, **params},
        headers=bearer(Role.SAFEGUARDING_LEAD, subject=subject),
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


def concern_for(system: WebSystem, visit_id: str, subject: str = LEAD) -> dict[str, Any]:
    """The urgent-concern notification about a visit, once notifications has it."""
    return wait_until(
        lambda: next(
            (
                item
                for item in inbox_of(system, subject)["items"]
                if item["link"] == f"/visits/{visit_id}"
            ),
            None,
        ),
        timeout=30,
        message="the urgent concern in the inbox",
    )


def notification(system: WebSystem, notification_id: str) -> dict[str, Any]:
    response = httpx.get(
        system.url(ServiceName.NOTIFICATIONS) + f"/notifications/{notification_id}",
        headers=bearer(Role.SAFEGUARDING_LEAD, subject=LEAD),
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


def acknowledge_by_api(system: WebSystem, notification_id: str) -> None:
    httpx.post(
        system.url(ServiceName.NOTIFICATIONS) + f"/notifications/{notification_id}/acknowledgement",
        headers=bearer(Role.SAFEGUARDING_LEAD, subject=LEAD),
        timeout=10,
    ).raise_for_status()


# --- the tests -------------------------------------------------------------------------------


def test_given_an_urgent_concern_when_the_lead_acknowledges_it_then_the_banner_goes_and_it_never_escalates(  # noqa: E501
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    acknowledged_visit = post_visit(waymark, concern="possible_minor")
    left_visit = post_visit(waymark, concern="violence", alias="Mira")
    acknowledged = concern_for(waymark, acknowledged_visit)
    left = concern_for(waymark, left_visit)
    waiting = inbox_of(waymark, LEAD, awaiting_acknowledgement="true")["total"]

    person = visitor()
    page = person.sign_in(Role.SAFEGUARDING_LEAD, subject=LEAD)
    for path in ("/inbox", "/premises", "/visits"):
        page.goto(path)
        banner = page.locator(BANNER)
        assert banner.get_by_role(
            "heading", name=f"Urgent concern raised — {waiting} not yet acknowledged"
        ).is_visible()
    item = banner.locator(
        ".waymark-urgent__item", has=page.locator(f'a[href="/visits/{acknowledged_visit}"]')
    )
    assert "Sent to sg-lead." in item.inner_text()
    assert "goes to the deputy at" in item.inner_text()
    # Nothing about her in the banner: the visit's link is ids only.
    assert "Ana" not in banner.inner_text() and "frightened" not in banner.inner_text()
    item.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert page.url.endswith("/visits")
    assert page.locator(f'{BANNER} a[href="/visits/{acknowledged_visit}"]').count() == 0
    assert (
        page.locator(BANNER)
        .get_by_role("heading", name=f"Urgent concern raised — {waiting - 1} not yet acknowledged")
        .is_visible()
    )
    assert_accessible(page)
    screenshot(page, "lead-banner")

    phone = visitor(PHONE)
    phone.sign_in(Role.SAFEGUARDING_LEAD, subject=LEAD).goto("/premises")
    assert phone.page.locator(BANNER).is_visible()
    assert_accessible(phone.page)
    screenshot(phone.page, "lead-banner-phone")

    # The concern left alone goes to the deputy when its half minute is up...
    wait_until(
        lambda: any(
            item["link"] == f"/visits/{left_visit}" and item["rule"] == "urgent_concern_escalated"
            for item in inbox_of(waymark, DEPUTY)["items"]
        ),
        timeout=120,
        interval=1,
        message="the unacknowledged concern escalated to the deputy",
    )
    page.reload()
    left_item = page.locator(
        f"{BANNER} .waymark-urgent__item", has=page.locator(f'a[href="/visits/{left_visit}"]')
    )
    assert "Escalated to the deputy (sg-deputy)." in left_item.inner_text()
    # ...by then the dispatcher has passed the acknowledged one's time too: nothing followed.
    state = notification(waymark, acknowledged["notification_id"])
    assert (state["state"], state["acknowledged_by"], state["escalated_to"]) == (
        "acknowledged",
        LEAD,
        None,
    )
    deputy_links = [item["link"] for item in inbox_of(waymark, DEPUTY)["items"]]
    assert f"/visits/{acknowledged_visit}" not in deputy_links

    # Acknowledged from the inbox: the banner goes once none is left.
    page.goto("/inbox?show=awaiting")
    for entry in inbox_of(waymark, LEAD, awaiting_acknowledgement="true")["items"]:
        if entry["notification_id"] != left["notification_id"]:
            acknowledge_by_api(waymark, entry["notification_id"])
    page.goto(f"/inbox/{left['notification_id']}")
    assert "Escalated to the deputy (sg-deputy)" in page.locator("main").inner_text()
    page.get_by_role("button", name="Acknowledge: I am dealing with it").click()
    page.wait_for_load_state()
    assert page.locator(BANNER).count() == 0
    assert "Acknowledged" in page.locator("main").inner_text()
    assert notification(waymark, left["notification_id"])["state"] == "acknowledged"


def test_given_notifications_when_she_reads_them_then_the_inbox_tabs_follow(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    # A journey opened by a visit tells the intake role (caseworkers): an inbox for everyone.
    post_visit(waymark, alias="Ioana")
    subject = "cw-inbox"
    person = visitor()
    page = person.sign_in(Role.CASEWORKER, subject=subject)
    page.goto("/inbox?show=unread")

    def first_unread() -> Any:
        page.reload()
        rows = page.locator("tbody tr")
        return rows.first if rows.count() else None

    row = wait_until(first_unread, timeout=30, interval=0.5, message="an unread notification")
    assert page.get_by_role("link", name="Unread").get_attribute("aria-current") == "page"
    assert (
        row.get_by_role("link", name="Open the journey")
        .get_attribute("href")
        .startswith("/journeys/")
    )
    assert_accessible(page)
    screenshot(page, "inbox")
    row.get_by_role("link", name="A new support journey was opened", exact=True).click()
    page.wait_for_load_state()
    notification_path = page.url.split(waymark.web_url, 1)[1]
    assert page.title().startswith("Notification")
    assert_accessible(page)
    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state()
    assert page.url.endswith(notification_path)
    assert page.locator("main .govuk-tag", has_text="Read").is_visible()
    # No acknowledgement is asked of a journey notice.
    assert page.get_by_role("button", name="Acknowledge: I am dealing with it").count() == 0
    page.goto("/inbox?show=read")
    reload_until(
        page,
        lambda: page.locator(f'a[href="{notification_path}"]').count() == 1,
        message="listed under read",
    )


def test_given_a_stale_page_when_she_acknowledges_then_she_sees_what_changed(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    visit_id = post_visit(waymark, concern="medical_emergency", alias="Dana")
    entry = concern_for(waymark, visit_id)
    person = visitor()
    page = person.sign_in(Role.SAFEGUARDING_LEAD, subject=LEAD)
    page.goto(f"/inbox/{entry['notification_id']}")
    # Meanwhile, elsewhere: she opened it on her phone.
    httpx.post(
        waymark.url(ServiceName.NOTIFICATIONS) + f"/notifications/{entry['notification_id']}/read",
        headers=bearer(Role.SAFEGUARDING_LEAD, subject=LEAD),
        timeout=10,
    ).raise_for_status()
    page.locator("main").get_by_role("button", name="Acknowledge: I am dealing with it").click()
    page.wait_for_load_state()
    assert "changed after your page was loaded" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_text("New since your page loaded").count() == 1
    assert_accessible(page)
    page.locator("main").get_by_role("button", name="Acknowledge: I am dealing with it").click()
    page.wait_for_load_state()
    assert notification(waymark, entry["notification_id"])["state"] == "acknowledged"


def test_the_lead_finds_premises_by_label_and_opens_their_history_and_a_visit(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    label = f"Flat-{uuid4().hex[:6]}"
    premises_id = register_premises(waymark, label)
    register_premises(waymark, f"Other-{uuid4().hex[:6]}")
    visit_id = post_visit(
        waymark, premises_id=premises_id, concern="held_against_will", alias="Elena"
    )
    post_visit(waymark, premises_id=premises_id, alias="Sofia")
    wait_until(
        lambda: (
            httpx.get(
                waymark.url(ServiceName.VISITS) + "/premises",
                params={"label": label},
                headers=bearer(Role.SAFEGUARDING_LEAD, subject="sg-premises"),
                timeout=10,
            ).json()["total"]
            == 1
        ),
        message="the premises in the directory",
    )

    person = visitor()
    page = person.sign_in(Role.SAFEGUARDING_LEAD, subject="sg-premises")
    page.goto("/premises")
    assert (
        page.get_by_role("link", name="Premises", exact=True).get_attribute("aria-current")
        == "page"
    )
    assert_accessible(page)
    screenshot(page, "premises")
    page.get_by_label("Search by label").fill(label.lower())
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    # The label was sent in the form, not in the address.
    assert page.url.endswith("/premises") and label not in page.url
    results = page.locator("tbody tr")
    assert results.count() == 1
    results.get_by_role("link", name=label).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/premises/{premises_id}")
    history = page.locator("tbody tr")
    reload_until(page, lambda: history.count() == 2, message="both visits listed")
    assert "Held against will (open)" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "premises-history")

    page.locator(f'a[href="/visits/{visit_id}"]').click()
    page.wait_for_load_state()
    assert page.title().startswith("Visit ")
    main = page.locator("main").inner_text()
    assert "Elena" in main and "door is locked at night" in main
    assert label in main  # the premises by its label, fetched for the page
    assert "Held against will" in main
    assert_accessible(page)
    screenshot(page, "visit")
    # Its concern is hers to take on: acknowledge it so it does not wait in other tests' banner.
    acknowledge_by_api(waymark, concern_for(waymark, visit_id)["notification_id"])

    # The visit list is a projection apart from the premises history waited for above.
    page.goto(f"/visits?premises_id={premises_id}")
    listed = page.locator("tbody tr")
    reload_until(page, lambda: listed.count() == 2, message="both in the visit list")
    assert_accessible(page)
    page.goto("/visits?from=2026-13-01")
    assert page.locator(".govuk-error-summary").is_visible()
    assert "2026-13-01" not in page.locator(".govuk-error-summary").inner_text()


def test_an_outreach_volunteer_sees_premises_and_her_teams_visits(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    label = f"Walkup-{uuid4().hex[:6]}"
    premises_id = register_premises(waymark, label)
    visit_id = post_visit(waymark, premises_id=premises_id, alias="Lina")
    person = visitor(PHONE)
    page = person.sign_in(Role.OUTREACH, subject="vol-premises", team="west")
    page.goto(f"/premises/{premises_id}")
    reload_until(
        page,
        lambda: page.locator(f'a[href="/visits/{visit_id}"]').count() == 1,
        message="the visit in the premises history",
    )
    assert page.locator(BANNER).count() == 0  # the banner is the lead's alone
    assert_accessible(page)
    other = visitor()
    elsewhere = other.sign_in(Role.OUTREACH, subject="vol-east", team="east")
    elsewhere.goto(f"/visits/{visit_id}")
    assert elsewhere.get_by_role("heading", name="This is not available to you").is_visible()


def test_given_notifications_down_when_the_lead_opens_a_page_then_a_calm_notice_replaces_the_banner(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    person = visitor()
    page = person.sign_in(Role.SAFEGUARDING_LEAD, subject=LEAD)
    waymark.kill(ServiceName.NOTIFICATIONS)
    try:
        page.goto("/premises")
        assert page.get_by_role("heading", name="Premises").is_visible()
        notice = page.locator(".waymark-urgent-unknown")
        assert notice.inner_text().startswith("Could not check for urgent concerns")
        assert page.locator(BANNER).count() == 0
        assert_accessible(page)
    finally:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(
                "WAYMARK_NOTIFICATIONS_CONFIG_FILE",
                str(waymark.notifications_config),  # type: ignore[attr-defined]
            )
            waymark.start_service(ServiceName.NOTIFICATIONS)
        waymark.wait_ready(ServiceName.NOTIFICATIONS)
