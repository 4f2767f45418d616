"""Recording what happens on a journey: the caseworker's form pages, in the browser, against
the real services (the journey arrives from a visit over NATS, as it would in life)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from services.cases.domain import Journey
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.browser.conftest import PHONE, Visitor, assert_accessible, screenshot, tab_to
from tests.browser.system import WebSystem
from tests.support import bearer, wait_until


def journey_from_a_visit(system: WebSystem, caseworker: str) -> UUID:
    """A woman met on a visit: her journey opens in cases, and the lead assigns it."""
    contact_id, now = uuid4(), datetime.now(UTC)
    response = system.post_visit(
        {
            "visit_id": str(uuid4()),
            "premises_label": "P-forms",
            "team": "west",
            "languages_offered": ["ro", "en"],
            "started_at": (now - timedelta(hours=2)).isoformat(),
            "completed_at": (now - timedelta(hours=1)).isoformat(),
            "contacts": [{"contact_id": str(contact_id), "alias": "Ana", "language": "ro"}],
        }
    )
    assert response.status_code in (200, 201), response.text
    journey_id = Journey.create_id(contact_id)
    with system.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="sg-forms") as lead:
        opened = wait_until(
            lambda: lead.get(f"/journeys/{journey_id}").status_code == 200 or None,
            timeout=30,
            message="journey opened from the visit",
        )
        assert opened
        etag = lead.get(f"/journeys/{journey_id}").headers["etag"]
        assigned = lead.post(
            f"/journeys/{journey_id}/caseworker",
            json={"caseworker_id": caseworker},
            headers={"If-Match": etag},
        )
        assert assigned.status_code == 200, assigned.text
    return journey_id


def journey(system: WebSystem, journey_id: UUID) -> dict[str, Any]:
    response = httpx.get(
        f"{system.url(ServiceName.CASES)}/journeys/{journey_id}",
        headers=bearer(Role.SAFEGUARDING_LEAD, subject="sg-forms"),
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


def registered_journey(system: WebSystem, caseworker: str) -> UUID:
    """A journey from a visit, assigned to the caseworker, who registered her through the API."""
    journey_id = journey_from_a_visit(system, caseworker)
    with system.client(ServiceName.CASES, Role.CASEWORKER, subject=caseworker) as client:
        etag = client.get(f"/journeys/{journey_id}").headers["etag"]
        response = client.post(
            f"/journeys/{journey_id}/registration",
            json={"pseudonym": "R-forms", "preferred_languages": ["ro"]},
            headers={"If-Match": etag},
        )
        assert response.status_code == 200, response.text
    return journey_id


def returned_to_journey(page: Any, journey_id: UUID, section: str) -> None:
    page.wait_for_url(f"**/journeys/{journey_id}#{section}")


def send_by_keyboard(page: Any) -> None:
    """Tab to the form's button and press Enter, as someone with no mouse sends it."""
    tab_to(page, "button[type=submit].govuk-button")
    page.keyboard.press("Enter")


def answer(page: Any, question: str, choice: str) -> None:
    """A radio button chosen in the fieldset that asks the question."""
    page.get_by_role("group", name=question).get_by_label(choice).check()


def fill_when(page: Any, question: str, date: str, time: str) -> None:
    """A date and a time typed into the pair of fields that asks the question."""
    when = page.get_by_role("group", name=question)
    when.get_by_label("Date").fill(date)
    when.get_by_label("Time").fill(time)


def consent_to_share(page: Any, partner: str) -> None:
    """The consent form filled in: she agreed to her details being shared with the partner."""
    page.get_by_label("Share her details with a partner organisation").check()
    page.get_by_label("Which partner may her details be shared with?").select_option(label=partner)
    page.get_by_label("Version of the consent wording she was shown").fill("2026-01")


def refer_for_housing(page: Any, partner: str) -> None:
    """The referral form filled in: housing, with her details shared with the partner."""
    page.get_by_label("Which partner?").select_option(label=partner)
    page.get_by_label("What is the referral for?").select_option(label="Housing")
    answer(page, "Will her details be shared with the partner?", "Yes")


def test_given_her_journey_when_she_is_registered_and_consents_then_a_referral_needs_that_consent(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = journey_from_a_visit(waymark, "cw-forms-1")
    person = visitor()
    page = person.sign_in(Role.CASEWORKER, subject="cw-forms-1")
    base = f"/journeys/{journey_id}"

    # Given she chose to register.
    page.goto(f"{base}/registration")
    assert_accessible(page)
    page.get_by_label("The name she wants to be known by here").fill("R-17")
    page.get_by_label("Romanian", exact=True).check()
    answer(page, "Does she need an interpreter?", "Yes")
    page.get_by_role("button", name="Register her").click()
    returned_to_journey(page, journey_id, "about-her")
    record = journey(waymark, journey_id)
    assert record["registered"] and record["preferred_languages"] == ["ro"]
    assert record["interpreter_needed"] is True

    # And she agreed to her details being kept, and shared with one partner.
    page.goto(f"{base}/consents")
    assert_accessible(page)
    page.get_by_label("Keep her details on record").check()
    page.get_by_label("Version of the consent wording she was shown").fill("2026-01")
    page.get_by_role("button", name="Record her consent").click()
    returned_to_journey(page, journey_id, "consent")
    page.goto(f"{base}/consents")
    consent_to_share(page, "The Salvation Army")
    screenshot(page, "journey-form-consent")
    page.get_by_role("button", name="Record her consent").click()
    returned_to_journey(page, journey_id, "consent")
    scopes = {(c["scope"], c["partner"]) for c in journey(waymark, journey_id)["consents"]}
    assert scopes == {("store_data", None), ("share_with_partner", "salvation_army")}

    # When she refers her to a partner she has not agreed to share with.
    page.goto(f"{base}/referrals")
    assert_accessible(page)
    check = page.locator("#consent-check")
    assert "The Salvation Army" in check.inner_text()
    refer_for_housing(page, "Migrant Help")
    # Before she sends it, the form already says it is not covered.
    assert "needs a lawful basis" in page.locator("#consent-cover").inner_text()
    page.get_by_role("button", name="Make the referral").click()

    # Then the service refuses, in plain words, and her answers are kept.
    summary = page.locator("#error-summary")
    assert "has not agreed to share her details with this partner" in summary.inner_text()
    assert page.get_by_label("Which partner?").input_value() == "migrant_help"
    assert page.get_by_label("What is the referral for?").input_value() == "housing"
    assert "needs a lawful basis" in page.locator("#consent-check").inner_text()
    assert page.locator("#partner-error").is_visible()
    assert_accessible(page)
    screenshot(page, "journey-form-referral-refused")
    assert journey(waymark, journey_id)["referrals"] == []

    # When she records that consent, the referral is made.
    page.get_by_role("link", name="record her consent", exact=True).click()
    consent_to_share(page, "Migrant Help")
    page.get_by_role("button", name="Record her consent").click()
    returned_to_journey(page, journey_id, "consent")
    page.goto(f"{base}/referrals")
    assert "Migrant Help" in page.locator("#consent-check").inner_text()
    refer_for_housing(page, "Migrant Help")
    page.get_by_role("button", name="Make the referral").click()
    returned_to_journey(page, journey_id, "referrals")
    (referral,) = journey(waymark, journey_id)["referrals"]
    assert (referral["partner"], referral["status"]) == ("migrant_help", "made")
    assert referral["consent_id"] is not None

    # And the partner's answer is recorded on the referral's own page.
    page.goto(f"{base}/referrals/{referral['referral_id']}/acknowledgement")
    assert_accessible(page)
    assert "Migrant Help" in page.locator(".govuk-summary-list").inner_text()
    page.get_by_role("button", name="They have it").click()
    returned_to_journey(page, journey_id, "referrals")
    assert journey(waymark, journey_id)["referrals"][0]["status"] == "acknowledged"


def test_given_a_registered_woman_when_support_is_recorded_then_each_step_is_on_her_journey(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = registered_journey(waymark, "cw-forms-2")
    page = visitor().sign_in(Role.CASEWORKER, subject="cw-forms-2")
    base = f"/journeys/{journey_id}"

    page.goto(f"{base}/goals")
    assert_accessible(page)
    page.get_by_label("What does she want to achieve?").select_option(label="NI number issued")
    page.get_by_label("By when, if she has a date in mind (optional)").fill("31/01/2027")
    page.get_by_role("button", name="Save the goal").click()
    returned_to_journey(page, journey_id, "goals")
    (goal,) = journey(waymark, journey_id)["goals"]
    assert (goal["goal"], goal["target_on"]) == ("ni_number_issued", "2027-01-31")

    page.goto(f"{base}/goals/{goal['goal_id']}/achievement")
    assert_accessible(page)
    assert "NI number issued" in page.locator(".govuk-summary-list").inner_text()
    fill_when(page, "When did she achieve it?", "27/11/2026", "10:15")
    page.get_by_role("button", name="She achieved it").click()
    returned_to_journey(page, journey_id, "goals")
    assert journey(waymark, journey_id)["goals"][0]["closed_at"].startswith("2026-11-27T10:15")

    page.goto(f"{base}/appointments")
    assert_accessible(page)
    page.get_by_label("Appointment with").select_option(label="Jobcentre (NI number)")
    fill_when(page, "When is it?", "15/07/2027", "9:30am")
    answer(page, "Will someone from the charity go with her?", "Yes")
    page.get_by_role("button", name="Save the appointment").click()
    returned_to_journey(page, journey_id, "appointments")
    (appointment,) = journey(waymark, journey_id)["appointments"]
    # 09:30 in London in summer is 08:30 UTC.
    assert appointment["at"].startswith("2027-07-15T08:30") and appointment["accompanied"]

    # An NRM referral for an adult needs her consent first: the form says so, then the service.
    page.goto(f"{base}/nrm/referral")
    assert_accessible(page)
    assert "No consent to an NRM referral" in page.locator("#consent-check").inner_text()
    page.get_by_label("Which First Responder organisation?").select_option(
        label="The Salvation Army"
    )
    page.get_by_label("When did they submit it?").fill("20/11/2026")
    page.get_by_role("button", name="Save the NRM referral").click()
    summary = page.locator("#error-summary").inner_text()
    assert "She has not consented to an NRM referral" in summary
    assert page.get_by_label("When did they submit it?").input_value() == "20/11/2026"
    assert journey(waymark, journey_id)["nrm"]["submitted_on"] is None

    page.goto(f"{base}/exit")
    assert_accessible(page)
    page.get_by_role("button", name="She left the industry").click()
    returned_to_journey(page, journey_id, "status")
    assert journey(waymark, journey_id)["exited"] is True


def test_given_an_answer_the_service_refuses_then_the_reason_is_beside_its_field(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = registered_journey(waymark, "cw-forms-3")
    page = visitor(PHONE).sign_in(Role.CASEWORKER, subject="cw-forms-3")

    page.goto(f"/journeys/{journey_id}/safety-plans")
    assert_accessible(page)
    page.get_by_label("What did you agree with her?").fill("Call the office if she feels unsafe")
    page.get_by_role("button", name="Save the safety plan").click()

    # The service names the missing review date: its sentence sits beside that field.
    error = page.locator("#review_on-error")
    assert error.is_visible() and "Enter an answer" in error.inner_text()
    assert page.locator("#error-summary a[href='#review_on']").is_visible()
    assert page.get_by_label("What did you agree with her?").input_value().startswith("Call")
    assert_accessible(page)

    # A date that cannot be read is named without being sent.
    page.get_by_label("When will you review it?").fill("31/02/2027")
    page.get_by_role("button", name="Save the safety plan").click()
    assert "27/11/2026" in page.locator("#review_on-error").inner_text()
    page.get_by_label("When will you review it?").fill("28/02/2027")
    page.get_by_role("button", name="Save the safety plan").click()
    returned_to_journey(page, journey_id, "safety-plan")
    assert journey(waymark, journey_id)["safety_plan"]["review_on"] == "2027-02-28"


def test_given_two_people_on_one_journey_when_the_second_saves_then_she_sees_what_changed(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = registered_journey(waymark, "cw-forms-4")
    first = visitor().sign_in(Role.CASEWORKER, subject="cw-forms-4")
    second = visitor().sign_in(Role.SAFEGUARDING_LEAD, subject="sg-forms-4")
    base = f"/journeys/{journey_id}"

    # Both open a form on the same version of her journey.
    first.goto(f"{base}/meetings")
    assert_accessible(first)
    second.goto(f"{base}/needs-assessments")
    second.get_by_label("Housing").check()
    second.get_by_label("National Insurance number").check()
    second.get_by_label("Notes (optional)").fill("Wants to start with her NI number")

    # The first saves.
    first.get_by_label("What kind of meeting?").select_option(label="Coffee")
    first.get_by_role("button", name="Save the meeting").click()
    returned_to_journey(first, journey_id, "meetings")
    with waymark.client(ServiceName.CASES, Role.SAFEGUARDING_LEAD, subject="sg-forms") as lead:
        wait_until(
            lambda: any(
                item["event"] == "meeting_held"
                for item in lead.get(f"/journeys/{journey_id}/timeline").json()["items"]
            ),
            message="the meeting on her timeline",
        )

    # The second saves after: refused as stale, her answers kept, the change shown.
    second.get_by_role("button", name="Save her needs").click()
    summary = second.locator("#error-summary").inner_text()
    assert "Someone else changed this record since you opened this form" in summary
    assert "Meeting" in second.get_by_role("region", name="Changed meanwhile").inner_text()
    assert second.get_by_label("Housing").is_checked()
    assert second.get_by_label("National Insurance number").is_checked()
    assert (
        second.get_by_label("Notes (optional)").input_value() == "Wants to start with her NI number"
    )
    assert journey(waymark, journey_id)["needs"] == []
    assert_accessible(second)
    screenshot(second, "journey-form-conflict")

    # Having seen it, she saves again, on the journey as it is now.
    second.get_by_role("button", name="Save her needs").click()
    returned_to_journey(second, journey_id, "needs")
    assert sorted(journey(waymark, journey_id)["needs"]) == ["housing", "ni_number"]


def test_given_only_a_keyboard_then_she_can_register_her_and_record_consent(
    visitor: Callable[..., Visitor], waymark: WebSystem
) -> None:
    journey_id = journey_from_a_visit(waymark, "cw-forms-5")
    page = visitor().sign_in(Role.CASEWORKER, subject="cw-forms-5")

    page.goto(f"/journeys/{journey_id}/registration")
    tab_to(page, "#pseudonym")
    page.keyboard.type("K-5")
    tab_to(page, "input[name=preferred_languages][value=ro]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=interpreter_needed]")
    page.keyboard.press("ArrowDown")  # in a radio group, arrows move and choose: "No"
    send_by_keyboard(page)
    returned_to_journey(page, journey_id, "about-her")

    page.goto(f"/journeys/{journey_id}/consents")
    tab_to(page, "input[name=scope]")
    page.keyboard.press("Space")
    tab_to(page, "#wording_version")
    page.keyboard.type("2026-01")
    send_by_keyboard(page)
    returned_to_journey(page, journey_id, "consent")

    record = journey(waymark, journey_id)
    assert record["pseudonym"] == "K-5" and record["preferred_languages"] == ["ro"]
    assert record["interpreter_needed"] is False
    assert [(c["scope"], c["active"]) for c in record["consents"]] == [("store_data", True)]
