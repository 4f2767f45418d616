"""The outreach app on a phone: recorded offline, sent exactly once when the signal returns.

Against the real processes and NATS; the "phone" is Chromium at 360 by 740 whose network the test
cuts with ``context.set_offline``. The services are checked over their own HTTP APIs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from services.cases.domain import Journey
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import LAPTOP, PHONE, Visitor, assert_accessible, screenshot
from tests.browser.journeys import register_premises
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until

PIN = "482913"
LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="sg-outreach")


# --- the phone ------------------------------------------------------------------------------


def open_app(person: Visitor, subject: str, team: str) -> Any:
    """Signed in, the app open and controlled by its service worker, the shift PIN set."""
    page = person.sign_in(Role.OUTREACH, subject=subject, team=team)
    page.goto("/outreach/")
    wait_until(
        lambda: page.evaluate("() => !!navigator.serviceWorker.controller"),
        message="the service worker controls the app",
    )
    # The worker has cached what the app needs offline before it took control.
    page.get_by_label("PIN (at least 6 digits)").fill(PIN)
    page.get_by_label("The same PIN again").fill(PIN)
    page.get_by_role("button", name="Start the shift").click()
    page.get_by_role("button", name="Start a visit").wait_for()
    return page


def unlock(page: Any) -> None:
    page.get_by_label("Shift PIN").fill(PIN)
    page.get_by_role("button", name="Open").click()
    page.get_by_role("button", name="Start a visit").wait_for()


def start_visit(page: Any, place: str, *, new: bool = True) -> None:
    page.get_by_role("button", name="Start a visit").click()
    page.get_by_label("Premises").fill(place)
    if new:
        page.get_by_role("button", name=f"Add “{place}” as a new place").click()
    else:
        page.get_by_role("button", name=place, exact=True).click()
    page.get_by_role("checkbox", name="Romanian").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Add a woman she met").wait_for()


def add_woman(
    page: Any, alias: str, indicator: str = "Debt owed", source: str = "Disclosed"
) -> None:
    page.get_by_role("button", name="Add a woman she met").click()
    page.get_by_label("The name she gave").fill(alias)
    page.get_by_role("combobox", name="Language you spoke with her").select_option(label="Romanian")
    page.get_by_role("checkbox", name="Contact card").check()
    page.get_by_role("combobox", name=indicator, exact=True).select_option(label=source)
    page.get_by_role("combobox", name="Follow-up offered").select_option(
        label="Coffee away from the premises"
    )
    page.get_by_role("button", name="Save her details").click()
    page.get_by_role("button", name="Complete the visit").wait_for()


def raise_concern(page: Any, details: str) -> None:
    page.get_by_role("button", name="Urgent concern").click()
    page.get_by_role("radio", name="Possibly under 18").check()
    page.get_by_label("What you saw or heard").fill(details)
    page.get_by_role("button", name="Send to the safeguarding lead").click()
    page.locator("#urgent-result").get_by_text(re.compile("^(Sent|Not sent)")).wait_for()


def complete(page: Any) -> None:
    page.get_by_role("button", name="Complete the visit").click()
    page.get_by_role("heading", name="Outreach").wait_for()


def recorded_offline(phone: Visitor, page: Any, place: str, alias: str, **woman: str) -> None:
    """With no signal: a visit started, a woman she met added, the visit completed; it waits
    in the outbox."""
    phone.context.set_offline(True)
    start_visit(page, place)
    add_woman(page, alias, **woman)
    complete(page)


def a_visit_kept_offline(
    phone: Visitor, subject: str, place: str, alias: str, **woman: str
) -> tuple[Any, str]:
    """The app opened for a team of its own, then a visit recorded with no signal at the place
    (named with the team's id after it, so the team is found again): the page and the team."""
    team = "t-" + uuid4().hex[:8]
    page = open_app(phone, subject, team)
    recorded_offline(phone, page, f"{place} {team}", alias, **woman)
    return page, team


def outbox_states(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#outbox li", "items => items.map(i => i.dataset.state)"))


STORED = """async () => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open("waymark-outreach"); r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const read = (name) => new Promise((ok) => {
    const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result);
  });
  const text = (value) => JSON.stringify(value, (k, v) =>
    v instanceof ArrayBuffer || ArrayBuffer.isView(v)
      ? new TextDecoder("latin1").decode(v instanceof ArrayBuffer ? new Uint8Array(v) : v) : v);
  const everything = text(await read("visits")) + text(await read("meta"));
  db.close();
  return everything;
}"""


# --- the services ---------------------------------------------------------------------------


def visits_of(system: WebSystem, team: str) -> list[dict[str, Any]]:
    response = httpx.get(
        system.url(ServiceName.VISITS) + "/visits",
        params={"team": team, "limit": 200},
        headers=LEAD,
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["items"])


def visit(system: WebSystem, visit_id: str) -> dict[str, Any]:
    response = httpx.get(
        system.url(ServiceName.VISITS) + f"/visits/{visit_id}", headers=LEAD, timeout=10
    )
    response.raise_for_status()
    return dict(response.json())


def journey_opened(system: WebSystem, contact_id: str) -> bool:
    journey = Journey.create_id(UUID(contact_id))
    response = httpx.get(
        system.url(ServiceName.CASES) + f"/journeys/{journey}", headers=LEAD, timeout=10
    )
    return response.status_code == 200


def lead_inbox_links(system: WebSystem) -> list[str]:
    response = httpx.get(
        system.url(ServiceName.NOTIFICATIONS) + "/inbox",
        params={"limit": 200},
        headers=LEAD,
        timeout=10,
    )
    response.raise_for_status()
    return [item["link"] for item in response.json()["items"]]


def exactly_one_each(system: WebSystem, team: str, places: list[str]) -> list[dict[str, Any]]:
    def listed() -> list[dict[str, Any]] | None:
        items = visits_of(system, team)
        labels = sorted(item["premises_label"] for item in items)
        assert len(labels) <= len(places), f"more visits than were made: {labels}"
        complete = all(item["completed_at"] for item in items)
        return items if labels == sorted(places) and complete else None

    return wait_until(listed, timeout=30, interval=0.3, message="each visit once, completed")


@pytest.fixture
def phone(visitor: Callable[..., Visitor]) -> Iterator[Visitor]:
    person = visitor(PHONE)
    errors: list[str] = []
    person.page.on("pageerror", lambda error: errors.append(str(error)))
    yield person
    assert errors == [], f"script errors on the phone: {errors}"


# --- the tests ------------------------------------------------------------------------------


def test_given_no_signal_when_two_visits_are_recorded_then_each_is_sent_exactly_once(
    phone: Visitor, waymark: WebSystem
) -> None:
    team = "t-" + uuid4().hex[:8]
    page = open_app(phone, "vol-offline", team)
    assert_accessible(page)

    phone.context.set_offline(True)
    page.reload()  # the shell comes from the service worker
    page.get_by_label("Shift PIN").wait_for()
    assert_accessible(page)
    unlock(page)
    assert "No signal" in page.locator("#network").inner_text()

    # The first visit has no concern; the second, made later, has one and is sent first.
    start_visit(page, "Walk-up 3 " + team)
    assert_accessible(page)
    screenshot(page, "outreach-start")
    add_woman(page, "Marker-alias-two", indicator="Physical threats", source="Observed")
    add_woman(page, "Marker-alias-three")
    complete(page)

    start_visit(page, "Flat 7B " + team)
    add_woman(page, "Marker-alias-one")
    page.get_by_role("button", name="Add a woman she met").click()
    assert_accessible(page)
    screenshot(page, "outreach-contact")
    page.get_by_role("button", name="Back to the visit").click()
    raise_concern(page, "Marker-details-one")
    result = page.locator("#urgent-result").inner_text()
    assert "Not sent" in result and "020 7946 0000" in result
    assert_accessible(page)
    screenshot(page, "outreach-urgent-offline")
    page.get_by_role("button", name="Back to the visit").click()
    complete(page)

    wait_until(lambda: outbox_states(page) == ["waiting", "waiting"], message="both waiting")
    page.locator("#outbox").get_by_text("Urgent concern not sent yet", exact=False).wait_for()
    # The one with an urgent concern is listed, and sent, first.
    assert "Flat 7B" in page.locator("#outbox li").first.inner_text()
    assert_accessible(page)
    screenshot(page, "outreach-outbox")

    stored = page.evaluate(STORED)
    assert "Marker-" not in stored and PIN not in stored

    phone.context.set_offline(False)
    items = exactly_one_each(waymark, team, ["Flat 7B " + team, "Walk-up 3 " + team])
    first_recorded = min(items, key=lambda item: str(item["recorded_at"]))
    assert first_recorded["premises_label"] == "Flat 7B " + team, "the urgent one goes first"
    wait_until(lambda: outbox_states(page) == ["sent", "sent"], message="both shown as sent")
    # Sent: nothing of the visits is left on the phone, not even sealed.
    remaining = page.evaluate(
        """async () => (await new Promise((ok) => { const r = indexedDB.open("waymark-outreach");
            r.onsuccess = () => { const q = r.result.transaction("visits").objectStore("visits")
            .getAll(); q.onsuccess = () => { r.result.close(); ok(q.result); }; }; }))
            .filter((v) => v.sealed).length"""
    )
    assert remaining == 0

    recorded = {item["premises_label"]: visit(waymark, item["visit_id"]) for item in items}
    first = recorded["Flat 7B " + team]
    second = recorded["Walk-up 3 " + team]
    assert [c["alias"] for c in first["contacts"]] == ["Marker-alias-one"]
    assert sorted(c["alias"] for c in second["contacts"]) == [
        "Marker-alias-three",
        "Marker-alias-two",
    ]
    assert first["languages_offered"] == ["ro"] and first["recorded_by"] == "vol-offline"
    assert [i["source"] for i in first["person_indicators"]] == ["disclosed"]
    assert len(first["follow_ups"]) == 1 and first["outcome"] == "brief_contact"
    assert [c["concern"] for c in first["urgent_concerns"]] == ["possible_minor"]
    assert first["urgent_concerns"][0]["details"] == "Marker-details-one"
    contacts = [c["contact_id"] for v in recorded.values() for c in v["contacts"]]
    wait_until(
        lambda: all(journey_opened(waymark, c) for c in contacts), message="journeys in cases"
    )
    wait_until(
        lambda: f"/visits/{first['visit_id']}" in lead_inbox_links(waymark),
        message="the concern in the lead's inbox",
    )
    assert lead_inbox_links(waymark).count(f"/visits/{first['visit_id']}") == 1


def test_given_signal_when_she_records_a_visit_then_each_step_is_saved_as_it_is_made(
    phone: Visitor, waymark: WebSystem
) -> None:
    team = "t-" + uuid4().hex[:8]
    place = "Basement " + team
    premises_id = register_premises(waymark, place)
    # The directory is a projection: wait until it lists the new premises.
    wait_until(
        lambda: any(
            p["premises_id"] == premises_id
            for p in httpx.get(
                waymark.url(ServiceName.VISITS) + "/premises",
                params={"label": team},
                headers=LEAD,
                timeout=10,
            ).json()["items"]
        ),
        message="the premises in the directory",
    )
    page = open_app(phone, "vol-online", team)
    assert "Online" in page.locator("#network").inner_text()
    start_visit(page, place, new=False)

    def open_visit() -> dict[str, Any] | None:
        items = visits_of(waymark, team)
        return items[0] if items else None

    started = wait_until(open_visit, message="the visit started on the server")
    assert started["premises_id"] == premises_id and started["completed_at"] is None

    add_woman(page, "Marker-alias-online")
    wait_until(
        lambda: len(visit(waymark, started["visit_id"])["contacts"]) == 1,
        message="her contact saved as a step",
    )
    raise_concern(page, "Marker-details-online")
    assert "Sent to the safeguarding lead" in page.locator("#urgent-result").inner_text()
    assert len(visit(waymark, started["visit_id"])["urgent_concerns"]) == 1
    assert_accessible(page)
    page.get_by_role("button", name="Back to the visit").click()
    assert_accessible(page)
    complete(page)
    wait_until(lambda: outbox_states(page) == ["sent"], message="shown as sent")
    recorded = visit(waymark, started["visit_id"])
    assert recorded["completed_at"] and [c["alias"] for c in recorded["contacts"]] == [
        "Marker-alias-online"
    ]
    assert [item["visit_id"] for item in visits_of(waymark, team)] == [started["visit_id"]]


def test_given_a_server_error_and_a_lost_answer_when_sent_again_then_it_is_recorded_once(
    phone: Visitor, waymark: WebSystem
) -> None:
    page, team = a_visit_kept_offline(phone, "vol-flaky", "Parlour", "Marker-alias-flaky")

    keys: list[str] = []
    tried: list[float] = []

    def flaky(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        tried.append(time.monotonic())
        if len(keys) == 1:
            # The server could not answer, and asks for a wait longer than the first backoff
            # (2 to 4 s): retried no sooner, even though the signal's return forces a pass.
            route.fulfill(
                status=503,
                headers={"Retry-After": "8"},
                content_type="application/problem+json",
                body="{}",
            )
        elif len(keys) == 2:
            # The server records the visit; its answer never reaches the phone.
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/outreach/api/visits", flaky)
    phone.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(lambda: outbox_states(page) == ["sent"], timeout=30, message="sent after retries")
    # Every attempt was the same request: the same Idempotency-Key each time.
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]
    assert tried[1] - tried[0] >= 7.5  # the route is answered only while this thread polls
    (item,) = exactly_one_each(waymark, team, ["Parlour " + team])
    assert [c["alias"] for c in visit(waymark, item["visit_id"])["contacts"]] == [
        "Marker-alias-flaky"
    ]


def test_given_a_step_that_raced_another_writer_then_it_is_sent_again_not_refused(
    phone: Visitor, waymark: WebSystem
) -> None:
    team = "t-" + uuid4().hex[:8]
    page = open_app(phone, "vol-raced", team)
    start_visit(page, "Studio " + team)
    (started,) = wait_until(lambda: visits_of(waymark, team), message="the visit started")
    sent: list[str] = []

    def raced(route: Any) -> None:
        sent.append(route.request.post_data or "")
        if len(sent) == 1:
            # A lead saved the same visit at that moment: the service recorded nothing.
            body = {"type": "urn:waymark:web:concurrent-modification", "message": "changed"}
            route.fulfill(
                status=409, content_type="application/problem+json", body=json.dumps(body)
            )
        else:
            route.continue_()

    phone.context.route("**/outreach/api/visits/*/contacts", raced)
    add_woman(page, "Marker-alias-raced")

    def sent_again() -> bool:
        # The route above is only answered while this thread is in a Playwright call.
        states = outbox_states(page)
        return states == ["draft"] and len(visit(waymark, started["visit_id"])["contacts"]) == 1

    wait_until(sent_again, timeout=30, message="her contact sent again after the race")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert "refused" not in outbox_states(page)


def test_given_a_withdrawn_code_when_refused_then_she_corrects_it_and_it_is_sent(
    phone: Visitor, waymark: WebSystem
) -> None:
    # The phone's cached reference data still offers a code the service no longer has.
    real = httpx.get(
        waymark.url(ServiceName.VISITS) + "/reference", headers=LEAD, timeout=10
    ).json()
    stale = {key: real[key] for key in real}
    stale["person_indicators"] = {
        **real["person_indicators"],
        "withdrawn_sign": {"label": "A withdrawn sign", "htcds": None},
    }

    def stale_reference(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(stale))

    # The context's routes see the service worker's requests too (Chromium).
    phone.context.route("**/outreach/api/reference", stale_reference)
    page, team = a_visit_kept_offline(
        phone,
        "vol-refused",
        "Sauna",
        "Marker-alias-refused",
        indicator="A withdrawn sign",
        source="Observed",
    )
    phone.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(lambda: outbox_states(page) == ["refused"], message="refused, kept on the phone")
    assert visits_of(waymark, team) == []
    assert_accessible(page)

    page.get_by_role("button", name="Correct it").click()
    page.locator("#women").get_by_text("Check her details", exact=False).wait_for()
    page.get_by_role("button", name="Change the details of woman 1").click()
    field = page.get_by_role("combobox", name="A withdrawn sign", exact=True)
    assert "Choose one from the list" in page.locator("#indicators").inner_text()
    assert_accessible(page)
    field.select_option(label="Not noted")
    page.get_by_role("combobox", name="Debt owed", exact=True).select_option(label="Observed")
    page.get_by_role("button", name="Save her details").click()
    page.get_by_role("button", name="Back to the visits on this phone").click()
    wait_until(lambda: outbox_states(page) == ["sent"], message="sent once corrected")
    (item,) = exactly_one_each(waymark, team, ["Sauna " + team])
    indicators = visit(waymark, item["visit_id"])["person_indicators"]
    assert [i["indicator"] for i in indicators] == ["debt_bondage"]


def test_given_her_session_ended_offline_then_the_queue_waits_for_sign_in_and_sign_out_wipes_it(
    phone: Visitor, waymark: WebSystem
) -> None:
    page, team = a_visit_kept_offline(phone, "vol-expired", "Street", "Marker-alias-expired")
    # Her session ends on the server while the phone has no signal.
    phone.context.clear_cookies()
    phone.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    banner = page.get_by_text("Sign in again to send 1 visit.")
    banner.wait_for()
    wait_until(lambda: outbox_states(page) == ["waiting"], message="kept, waiting")
    assert visits_of(waymark, team) == []
    assert_accessible(page)

    phone.sign_in(Role.OUTREACH, subject="vol-expired", team=team)
    page.goto("/outreach/")
    unlock(page)
    wait_until(lambda: outbox_states(page) == ["sent"], message="sent after signing in again")
    exactly_one_each(waymark, team, ["Street " + team])

    # Another visit kept, then sign-out: nothing of the app is left in the browser.
    recorded_offline(phone, page, "Second " + team, "Marker-alias-wiped")
    phone.context.set_offline(False)
    page.unroute_all()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    wait_until(
        lambda: page.evaluate(
            """async () => (await indexedDB.databases()).length === 0
                && (await caches.keys()).length === 0
                && (await navigator.serviceWorker.getRegistrations()).length === 0"""
        ),
        message="outbox, caches and service worker gone",
    )


def test_the_shell_and_its_worker_hold_no_personal_data(waymark: WebSystem) -> None:
    sw = httpx.get(waymark.web_url + "/outreach/sw.js")
    assert sw.status_code == 200
    assert sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["service-worker-allowed"] == "/outreach/"
    manifest = httpx.get(waymark.web_url + "/outreach/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["scope"] == "/outreach/"
    # Only the shell, its assets, reference data and premises labels are ever cached.
    cached = sw.text.split("const ASSETS = ", 1)[1].split(";", 1)[0]
    assert all(
        path.startswith(("/static/", "/outreach/")) and "/api/" not in path
        for path in json.loads(cached)
    )
    # The app's endpoints answer JSON to a signed-out phone, never a redirect.
    response = httpx.get(waymark.web_url + "/outreach/api/session", follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_an_app_post_without_the_sessions_token_is_refused_as_json(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    person = visitor(PHONE)
    person.sign_in(Role.OUTREACH, subject="vol-csrf", team="west")
    cookies = {c["name"]: c["value"] for c in person.context.cookies()}
    response = httpx.post(
        waymark.web_url + "/outreach/api/visits",
        cookies=cookies,
        json={"visit_id": str(uuid4())},
        headers={"X-CSRF-Token": "forged"},
    )
    assert response.status_code == 403 and response.json()["type"].endswith(":csrf")
    token = httpx.get(waymark.web_url + "/outreach/api/session", cookies=cookies).json()
    refused = httpx.post(
        waymark.web_url + "/outreach/api/visits",
        cookies=cookies,
        json={"visit_id": "Marker-not-an-id"},
        headers={"X-CSRF-Token": token["csrf_token"]},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Marker" not in refused.text and refused.json()["fields"]


def test_on_a_laptop_the_app_opens_and_is_accessible(visitor: Callable[..., Visitor]) -> None:
    person = visitor(LAPTOP)
    page = person.sign_in(Role.SAFEGUARDING_LEAD, subject="sg-laptop")
    page.goto("/outreach/")
    page.get_by_label("PIN (at least 6 digits)").wait_for()
    assert page.title() == "Outreach \N{EN DASH} Waymark"
    assert_accessible(page)


def test_given_a_name_typed_for_the_team_or_a_volunteer_then_the_phone_asks_for_ids_first(
    phone: Visitor, waymark: WebSystem
) -> None:
    # The visits service names who was there by ids it can compare with tokens: a visit
    # naming someone by a typed name could never be sent, so the phone refuses it first.
    team = "t-" + uuid4().hex[:8]
    page = open_app(phone, "vol-typed", team)
    page.get_by_role("button", name="Start a visit").click()
    page.get_by_label("Premises").fill("Arches " + team)
    page.get_by_role("button", name=f"Add “Arches {team}” as a new place").click()
    page.get_by_label("Team").fill(f"{team} north")
    page.get_by_label("Volunteers on the visit").fill("vol-typed, Anna Smith")
    page.get_by_role("button", name="Save and continue").click()
    assert "Error: Enter the team's id" in page.locator("#team-error").inner_text()
    volunteers_error = page.locator("#volunteers-error").inner_text()
    assert "Error: Enter each volunteer's staff id" in volunteers_error
    assert page.locator("#visit-errors").get_by_role("link").count() == 2
    assert_accessible(page)
    assert page.get_by_role("button", name="Add a woman she met").is_hidden()
    assert visits_of(waymark, team) == []

    page.get_by_label("Team").fill(team)
    page.get_by_label("Volunteers on the visit").fill("vol-typed, auth0|65f0a1")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Add a woman she met").wait_for()
    (started,) = wait_until(lambda: visits_of(waymark, team), message="the visit started")
    assert visit(waymark, started["visit_id"])["volunteers"] == ["vol-typed", "auth0|65f0a1"]
