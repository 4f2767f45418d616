"""The caseworker's screens in a browser: new journeys taken from the queue, her journey and
its timeline, break-glass, the caseload by keyboard, the due list and the referrals board.

Data is made through the services' APIs as outreach and casework would make it: a visit with
a contact (her journey opens through NATS), then casework on the journey.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import (
    PHONE,
    Visitor,
    assert_accessible,
    reload_until,
    screenshot,
    tab_to,
)
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until

LEAD = {"subject": "sg-cw", "role": Role.SAFEGUARDING_LEAD}


def _cases(
    system: WebSystem,
    method: str,
    path: str,
    role: Role,
    subject: str,
    team: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    headers = {**bearer(role, subject=subject, team=team), **kwargs.pop("headers", {})}
    return httpx.request(
        method, system.url(ServiceName.CASES) + path, headers=headers, timeout=10, **kwargs
    )


def _visit(system: WebSystem, contact: dict[str, Any]) -> str:
    """A completed visit of two hours ago on which outreach met her (``contact``): its id."""
    start = datetime.now(UTC) - timedelta(hours=2)
    visit_id = str(uuid.uuid4())
    body = {
        "visit_id": visit_id,
        "premises_label": "P-12",
        "team": "west",
        "languages_offered": ["ro", "en"],
        "started_at": start.isoformat(),
        "completed_at": (start + timedelta(hours=1)).isoformat(),
        "contacts": [contact],
    }
    response = httpx.post(
        system.url(ServiceName.VISITS) + "/visits",
        json=body,
        headers={**bearer(Role.OUTREACH, subject="vol-cw"), "Idempotency-Key": visit_id},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return visit_id


def _met_on_a_visit(system: WebSystem, *, follow_up: bool = True) -> str:
    """A woman met on a visit, with an indicator and a follow-up: her journey's id."""
    contact_id = str(uuid.uuid4())
    contact: dict[str, Any] = {
        "contact_id": contact_id,
        "alias": "Alias-never-shown",
        "language": "ro",
        "indicators": [{"indicator": "debt_bondage", "source": "disclosed"}],
    }
    if follow_up:
        contact["follow_up"] = {
            "kind": "coffee",
            "due_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        }
    _visit(system, contact)

    def opened() -> str | None:
        found = _cases(
            system,
            "GET",
            "/journeys",
            LEAD["role"],
            LEAD["subject"],
            params={"contact_id": contact_id},
        ).json()["items"]
        if not found:
            return None
        # Her indicator and follow-up come in messages of their own, after the one that opened
        # her journey: wait until they are on it and the caseload (whose version the intake
        # queue claims with) has folded them too, else a command races them (412).
        listed = found[0]
        journey = _cases(
            system, "GET", f"/journeys/{listed['journey_id']}", LEAD["role"], LEAD["subject"]
        ).json()
        arrived = bool(journey["indicators"]) and (bool(journey["follow_ups"]) or not follow_up)
        return (
            str(listed["journey_id"])
            if arrived and listed["version"] == journey["version"]
            else None
        )

    journey_id: str = wait_until(
        opened, timeout=30, message="cases opened her journey with all outreach learnt"
    )
    return journey_id


def _version(
    system: WebSystem, journey_id: str, role: Role, subject: str, team: str | None = None
) -> str:
    response = _cases(system, "GET", f"/journeys/{journey_id}", role, subject, team)
    assert response.status_code == 200, response.status_code
    return str(response.json()["version"])


def _command(
    system: WebSystem,
    journey_id: str,
    path: str,
    body: dict[str, Any],
    role: Role,
    subject: str,
    team: str | None = None,
) -> None:
    version = _version(system, journey_id, role, subject, team)
    response = _cases(
        system,
        "POST",
        f"/journeys/{journey_id}{path}",
        role,
        subject,
        team,
        json=body,
        headers={"If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.text


def _assigned(system: WebSystem, journey_id: str, caseworker_id: str, team_id: str) -> None:
    """The lead assigns her journey to a caseworker of a team."""
    _command(
        system,
        journey_id,
        "/caseworker",
        {"caseworker_id": caseworker_id, "team_id": team_id},
        LEAD["role"],
        LEAD["subject"],
    )


def _referred_for_housing(
    system: WebSystem,
    journey_id: str,
    caseworker: tuple[str, str],
    partner: str,
    *,
    shares_personal_data: bool,
    days: int,
) -> None:
    """Her caseworker (id, team) refers her to ``partner`` for housing, to answer within
    ``days``."""
    _command(
        system,
        journey_id,
        "/referrals",
        {
            "referral_id": str(uuid.uuid4()),
            "partner": partner,
            "need": "housing",
            "shares_personal_data": shares_personal_data,
            "respond_by": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
        },
        Role.CASEWORKER,
        *caseworker,
    )


def _shows(page: Any, path: str, selector: str) -> bool:
    page.goto(path)
    return bool(page.locator(selector).count())


def _in_queue(page: Any, journey_id: str) -> Any:
    return page.locator(f'form[action="/intake/{journey_id}/claim"]')


def test_given_a_new_journey_when_a_caseworker_takes_it_then_it_opens_and_leaves_the_queue(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = _met_on_a_visit(waymark)
    anna = visitor()
    anna_page = anna.sign_in(Role.CASEWORKER, subject="cw-anna", team="north")
    bea = visitor()
    bea_page = bea.sign_in(Role.CASEWORKER, subject="cw-bea", team="south")

    def waiting(page: Any) -> bool:
        page.goto("/intake")
        return bool(_in_queue(page, journey_id).count())

    wait_until(lambda: waiting(anna_page), message="her journey waits in the queue")
    assert waiting(bea_page)
    # The queue shows what the service gives for it: no alias, no pseudonym.
    assert "Alias-never-shown" not in anna_page.content()
    assert_accessible(anna_page)
    screenshot(anna_page, "caseworker-intake")

    _in_queue(anna_page, journey_id).get_by_role("button", name="Take this journey").click()
    anna_page.wait_for_load_state()
    assert anna_page.url.endswith(f"/journeys/{journey_id}")
    assert anna_page.title().startswith("Journey")
    timeline = anna_page.locator("#timeline")
    # The page heads her timeline (a projection) with her journey read from its events: the
    # timeline may not have folded her claim yet when the page opens, so reload until it has.
    reload_until(
        anna_page,
        lambda: timeline.get_by_text("Caseworker assigned").count() == 1,
        message="her claim on her timeline",
    )
    assert timeline.get_by_text("Contact on a visit", exact=True).count() == 1
    assert timeline.get_by_text("Indicator noted on a visit").is_visible()
    assert timeline.get_by_text("indicator: debt bondage").is_visible()
    assert timeline.get_by_text("Caseworker assigned").is_visible()
    assert "You (cw-anna)" in anna_page.locator("#about-her").inner_text()
    # Not registered yet: registering is what she can do, consent waits for it.
    assert anna_page.get_by_role("link", name="Register her").get_attribute("href") == (
        f"/journeys/{journey_id}/registration"
    )
    assert anna_page.locator(f'a[href="/journeys/{journey_id}/consents"]').count() == 0
    assert_accessible(anna_page)
    screenshot(anna_page, "caseworker-journey")

    # Bea's queue was read before Anna took her: her click gets a plain message, not the journey.
    _in_queue(bea_page, journey_id).get_by_role("button", name="Take this journey").click()
    bea_page.wait_for_load_state()
    assert "/intake?notice=taken" in bea_page.url
    assert bea_page.get_by_text("Someone else took that journey a moment ago").is_visible()
    wait_until(lambda: not waiting(bea_page), message="the queue no longer lists her")
    # Nor can Bea open it: it is not hers.
    bea_page.goto(f"/journeys/{journey_id}")
    assert bea_page.get_by_role("heading", name="This journey is not assigned to you").is_visible()


def test_given_an_outreach_fact_after_she_read_the_queue_when_she_takes_it_then_she_sees_it_first(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    contact_id = str(uuid.uuid4())
    visit_id = _visit(waymark, {"contact_id": contact_id, "alias": "A-later", "language": "en"})

    def listed() -> str | None:
        found = _cases(
            waymark, "GET", "/journeys", LEAD["role"], LEAD["subject"],
            params={"contact_id": contact_id},
        ).json()["items"]  # fmt: skip
        return str(found[0]["journey_id"]) if found else None

    journey_id: str = wait_until(listed, message="cases opened her journey")
    dana_page = visitor().sign_in(Role.CASEWORKER, subject="cw-dana", team="north")
    dana_page.goto("/intake")
    reload_until(
        dana_page,
        lambda: bool(_in_queue(dana_page, journey_id).count()),
        message="her journey waits in the queue",
    )
    read_at = _version(waymark, journey_id, LEAD["role"], LEAD["subject"])

    # Outreach learns more about her after Dana's queue was drawn: her journey moves on.
    noted = httpx.post(
        waymark.url(ServiceName.VISITS) + f"/visits/{visit_id}/person-indicators",
        json={
            "observation_id": str(uuid.uuid4()),
            "contact_id": contact_id,
            "indicator": "debt_bondage",
            "source": "disclosed",
            "occurred_at": datetime.now(UTC).isoformat(),
        },
        headers={**bearer(Role.OUTREACH, subject="vol-cw"), "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert noted.status_code == 200, noted.text
    wait_until(
        lambda: _version(waymark, journey_id, LEAD["role"], LEAD["subject"]) != read_at,
        message="the indicator reached her journey",
    )

    # Her queue was drawn before: she is told the journey changed, and sees it as it is now.
    take = _in_queue(dana_page, journey_id).get_by_role("button", name="Take this journey")
    take.click()
    dana_page.wait_for_load_state()
    assert "/intake?notice=changed" in dana_page.url
    assert dana_page.url.endswith(f"#journey-{journey_id}")  # at her card, as it is now
    assert dana_page.get_by_text("That journey changed a moment ago").is_visible()
    assert dana_page.locator(f"#journey-{journey_id}").is_visible()
    assert_accessible(dana_page)
    # The queue is a projection: it shows her new version once it has folded the indicator.
    now = _version(waymark, journey_id, LEAD["role"], LEAD["subject"])
    shown = _in_queue(dana_page, journey_id).locator('input[name="version"]')
    reload_until(
        dana_page, lambda: shown.get_attribute("value") == now, message="the queue as it is now"
    )
    # Nobody holds her still: taking her now is hers.
    take.click()
    dana_page.wait_for_load_state()
    assert dana_page.url.endswith(f"/journeys/{journey_id}")
    assert "You (cw-dana)" in dana_page.locator("#about-her").inner_text()


def test_given_a_registered_journey_then_her_whole_journey_reads_on_a_phone(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = _met_on_a_visit(waymark)
    cw = ("cw-cara", "north")
    _assigned(waymark, journey_id, *cw)
    _command(
        waymark,
        journey_id,
        "/registration",
        {"pseudonym": "Rosa", "preferred_languages": ["ro"], "interpreter_needed": True},
        Role.CASEWORKER,
        *cw,
    )
    consent_id = str(uuid.uuid4())
    _command(
        waymark,
        journey_id,
        "/consents",
        {
            "consent_id": consent_id,
            "scope": "share_with_partner",
            "partner": "migrant_help",
            "wording_version": "v3",
        },
        Role.CASEWORKER,
        *cw,
    )
    _referred_for_housing(
        waymark, journey_id, cw, "migrant_help", shares_personal_data=True, days=5
    )
    phone = visitor(PHONE)
    page = phone.sign_in(Role.CASEWORKER, subject=cw[0], team=cw[1])
    page.goto(f"/journeys/{journey_id}")
    assert page.get_by_role("heading", name="Rosa").is_visible()
    consent = page.locator("#consent")
    assert "wording version v3" in consent.inner_text()
    assert consent.get_by_role("link", name="Withdraw").get_attribute("href") == (
        f"/journeys/{journey_id}/consents/{consent_id}/withdrawal"
    )
    referrals = page.locator("#referrals")
    steps = [
        referrals.get_by_role("link", name=n).count()
        for n in ("The partner has it", "Accepted", "Declined", "Withdraw")
    ]
    assert steps == [1, 1, 1, 1]
    # An open referral: her journey cannot be closed yet, so it is not offered.
    assert page.locator(f'a[href="/journeys/{journey_id}/closure"]').count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)
    screenshot(page, "caseworker-journey-phone")


def test_given_a_journey_of_another_team_when_she_breaks_the_glass_then_it_opens(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = _met_on_a_visit(waymark, follow_up=False)
    _assigned(waymark, journey_id, "cw-east", "east")
    person = visitor()
    page = person.sign_in(Role.CASEWORKER, subject="cw-dana", team="north")
    page.goto(f"/journeys/{journey_id}")
    assert page.get_by_role("heading", name="This journey is not assigned to you").is_visible()
    assert page.get_by_text("the safeguarding lead is told").is_visible()
    assert_accessible(page)
    screenshot(page, "caseworker-break-glass")

    page.get_by_label("Why must you open her journey now?").fill("too short")
    page.get_by_role("button", name="Break the glass and open her journey").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_label("Why must you open her journey now?").input_value() == "too short"

    page.get_by_label("Why must you open her journey now?").fill(
        "Her caseworker is away and outreach reports she is in danger tonight."
    )
    page.get_by_role("button", name="Break the glass and open her journey").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/journeys/{journey_id}")
    # Her timeline is a projection: it may not have folded the break-glass when the page opens.
    break_glass = page.locator("#timeline").get_by_text("Opened by break-glass")
    reload_until(page, lambda: break_glass.count() == 1, message="the break-glass on her timeline")
    assert break_glass.is_visible()


def test_the_caseload_opens_a_journey_by_keyboard_and_due_and_referrals_render(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = _met_on_a_visit(waymark)
    cw = ("cw-eva", "north")
    _assigned(waymark, journey_id, *cw)
    _command(waymark, journey_id, "/registration", {"pseudonym": "Mira"}, Role.CASEWORKER, *cw)
    _command(waymark, journey_id, "/possible-minor", {}, Role.CASEWORKER, *cw)
    _referred_for_housing(waymark, journey_id, cw, "unseen", shares_personal_data=False, days=3)
    person = visitor()
    page = person.sign_in(Role.CASEWORKER, subject=cw[0], team=cw[1])
    link = f'a[href="/journeys/{journey_id}"]'
    row = page.locator("tr", has=page.locator(link))

    # Her assignment lists her; her registration and possible-minor mark come after it, and
    # what is due is written onto her row by the due list's projection: wait for all of them.
    def listed() -> bool:
        page.goto("/caseload")
        if not row.count():
            return False
        shown = row.inner_text()
        return all(part in shown for part in ("Mira", "Possibly under 18", "Follow-up"))

    wait_until(listed, message="her journey on the caseload with all that was recorded")
    assert "Mira" in row.inner_text() and "Possibly under 18" in row.inner_text()
    assert "Follow-up" in row.inner_text()
    assert_accessible(page)
    screenshot(page, "caseworker-caseload")

    # Keyboard only: Tab until her journey's link has the focus, Enter opens it.
    tab_to(page, link, most=60)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/journeys/{journey_id}")
    assert page.get_by_role("heading", name="Mira").is_visible()

    wait_until(lambda: _shows(page, "/due", link), message="her follow-up is due")
    assert "Follow-up" in page.locator("tr", has=page.locator(link)).inner_text()
    assert_accessible(page)
    screenshot(page, "caseworker-due")

    board = f'a[href="/journeys/{journey_id}#referrals"]'
    wait_until(lambda: _shows(page, "/referrals?partner=unseen", board), message="on the board")
    assert "Unseen" in page.locator("tr", has=page.locator(board)).inner_text()
    page.goto("/referrals?partner=<b>nope</b>")
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert "nope" not in page.content()
    page.goto("/referrals")
    assert_accessible(page)
    screenshot(page, "caseworker-referrals")


def test_given_a_new_journey_when_a_lead_assigns_it_then_a_change_meanwhile_is_shown_first(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = _met_on_a_visit(waymark, follow_up=False)
    lead = visitor()
    page = lead.sign_in(Role.SAFEGUARDING_LEAD, subject=LEAD["subject"])
    assign = f'a[href="/journeys/{journey_id}/caseworker"]'
    wait_until(lambda: _shows(page, "/intake", assign), message="her journey waits")
    # A lead assigns; she cannot take a journey herself.
    assert page.locator(f'form[action="/intake/{journey_id}/claim"]').count() == 0
    page.locator(assign).click()
    page.wait_for_load_state()
    page.get_by_label("Caseworker (staff id)").fill("cw-fay")
    page.get_by_label("Team (optional)").fill("north")

    # Meanwhile a caseworker takes her from the queue.
    version = _version(waymark, journey_id, Role.SAFEGUARDING_LEAD, LEAD["subject"])
    claimed = _cases(
        waymark,
        "POST",
        f"/journeys/{journey_id}/claim",
        Role.CASEWORKER,
        "cw-gia",
        "south",
        headers={"If-Match": f'"{version}"'},
    )
    assert claimed.status_code == 200, claimed.text
    wait_until(
        lambda: (
            _cases(
                waymark,
                "GET",
                f"/journeys/{journey_id}/timeline",
                Role.SAFEGUARDING_LEAD,
                LEAD["subject"],
            ).json()["items"][0]["event"]
            == "caseworker_assigned"
        ),
        message="the timeline has the claim",
    )
    page.get_by_role("button", name="Assign").click()
    page.wait_for_load_state()
    assert page.get_by_text("Since you opened this form, this changed:").is_visible()
    assert page.get_by_text("caseworker: cw-gia").is_visible()
    # Her input is kept, to send again on the fresh version if she still means it.
    assert page.get_by_label("Caseworker (staff id)").input_value() == "cw-fay"
    assert_accessible(page)
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(f"**/journeys/{journey_id}#about-her")
    assert "cw-fay" in page.locator("#about-her").inner_text()

    page.goto("/caseload?caseworker=cw-fay")
    row = page.locator("tr", has=page.locator(f'a[href="/journeys/{journey_id}"]'))
    wait_until(
        lambda: _shows(page, "/caseload?caseworker=cw-fay", f'a[href="/journeys/{journey_id}"]'),
        message="on cw-fay's caseload",
    )
    assert "cw-fay" in row.inner_text()
    page.goto("/caseload?caseworker=not%20an%20id")
    assert page.get_by_text("Enter a staff id of letters").first.is_visible()
