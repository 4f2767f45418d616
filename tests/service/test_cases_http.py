"""The cases HTTP API: a woman's journey step by step, every refusal as a named problem,
ETags and If-Match, idempotent retries — with NATS down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from services.cases.api.errors import DOMAIN_ERRORS, JOURNEY_RULES
from services.cases.domain import Journey
from services.cases.errors import JourneyErased, JourneyError
from services.cases.main import create_app
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.keyring import SubjectErasedError
from tests.support import answer_text, bearer, cases_in, served, wait_until

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
ACTOR = bearer(Role.SAFEGUARDING_LEAD, subject="cw-1")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # NATS points at a closed port: the service must still start and serve.
    with served(
        create_app, ServiceName.CASES, tmp_path / "var", ACTOR, max_body_bytes=8192
    ) as test_client:
        yield test_client


def ago(days: float = 0) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def register(client: TestClient, **changes: Any) -> str:
    body: dict[str, Any] = {
        "journey_id": str(uuid4()),
        "pseudonym": "R-17",
        "preferred_languages": ["ro"],
        "interpreter_needed": True,
    }
    body.update(changes)
    response = client.post("/journeys", json=body, headers=ACTOR)
    assert response.status_code == 201, response.text
    return str(body["journey_id"])


def post(client: TestClient, journey_id: str, path: str, body: Any = None, **headers: str):
    return client.post(
        f"/journeys/{journey_id}/{path}",
        json=body,
        headers={**ACTOR, **{k.replace("_", "-"): v for k, v in headers.items()}},
    )


def ok(response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    data: dict[str, Any] = response.json()
    return data


def problem(response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:waymark:problem:{slug}", body
    return body


def consent(client: TestClient, journey_id: str, scope: str, partner: str | None = None) -> str:
    consent_id = str(uuid4())
    body = {"consent_id": consent_id, "scope": scope, "partner": partner, "wording_version": "v3"}
    ok(post(client, journey_id, "consents", body))
    return consent_id


def referral_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "referral_id": str(uuid4()),
        "partner": "housing_charity",
        "need": "housing",
        "shares_personal_data": False,
        "respond_by": (NOW + timedelta(days=14)).isoformat(),
    }
    body.update(changes)
    return body


# --- registration and reading ---------------------------------------------------------------


def test_a_woman_is_registered_with_her_journey_id_and_read_back_with_its_etag(
    client: TestClient,
) -> None:
    journey_id = str(uuid4())
    body = {"journey_id": journey_id, "pseudonym": "R-17", "preferred_languages": ["ro", "en"]}
    created = client.post("/journeys", json=body, headers=ACTOR)
    assert created.status_code == 201 and created.headers["etag"] == '"2"'
    assert created.headers["location"] == f"/journeys/{journey_id}"
    data = created.json()
    assert data["registered"] and data["pseudonym"] == "R-17" and data["status"] == "new"
    assert data["preferred_languages"] == ["ro", "en"] and data["contact_id"] is None
    fetched = client.get(f"/journeys/{journey_id}")
    assert fetched.status_code == 200 and fetched.json() == data
    assert fetched.headers["etag"] == '"2"'


def test_a_retried_registration_returns_the_original_and_says_so(client: TestClient) -> None:
    body = {"journey_id": str(uuid4()), "pseudonym": "R-17", "preferred_languages": ["ro"]}
    first = client.post("/journeys", json=body)
    again = client.post("/journeys", json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/journeys", json={**body, "pseudonym": "R-99"})
    problem(other, 409, "already-registered")


def test_the_timeline_lists_each_fact_with_both_clocks_and_the_actor(client: TestClient) -> None:
    journey_id = register(client)
    ok(post(client, journey_id, "exit", {"occurred_at": ago(2)}))
    page = wait_until(
        lambda: (
            (p := client.get(f"/journeys/{journey_id}/timeline").json()).get("total") == 3 and p
        ),
        message="the timeline caught up",
    )
    exit_row = next(e for e in page["items"] if e["event"] == "exited_sex_industry")
    assert exit_row["actor"] == "cw-1" and exit_row["version"] == 3
    assert exit_row["occurred_at"] < exit_row["recorded_at"]
    # It happened two hours ago, so it sorts below the registration recorded just now.
    assert page["items"][0]["event"] == "person_registered"


def test_the_reference_data_commands_are_checked_against_is_listed(client: TestClient) -> None:
    reference = client.get("/reference").json()
    assert reference["partners"]["salvation_army"]["first_responder"] is True
    assert "possible_minor" in reference["concerns"] and "goals_met" in reference["closure_reasons"]


# --- a journey, step by step ----------------------------------------------------------------


def test_a_journey_from_assessment_through_support_to_closure_and_reopening(
    client: TestClient,
) -> None:
    journey_id = register(client)
    ok(post(client, journey_id, "caseworker", {"caseworker_id": "cw-1"}))
    data = ok(post(client, journey_id, "needs-assessments", {"needs": ["ni_number", "housing"]}))
    assert data["status"] == "assessing" and data["needs"] == ["ni_number", "housing"]
    ok(
        post(
            client, journey_id, "risk-assessments", {"level": "medium", "indicators": ["escorted"]}
        )
    )
    goal_id = str(uuid4())
    data = ok(post(client, journey_id, "goals", {"goal_id": goal_id, "goal": "ni_number_issued"}))
    assert data["status"] == "active"
    plan = {
        "plan_id": str(uuid4()),
        "summary": "code word",
        "review_on": str(TODAY + timedelta(days=7)),
    }
    ok(post(client, journey_id, "safety-plans", plan))
    ok(post(client, journey_id, "meetings", {"meeting_id": str(uuid4()), "meeting_type": "coffee"}))
    appointment_id = str(uuid4())
    at = (NOW + timedelta(days=3)).isoformat()
    appointment = {"appointment_id": appointment_id, "kind": "jobcentre", "at": at}
    ok(post(client, journey_id, "appointments", {**appointment, "accompanied": True}))
    later = (NOW + timedelta(days=4)).isoformat()
    ok(post(client, journey_id, f"appointments/{appointment_id}/move", {"at": later}))
    ok(post(client, journey_id, f"appointments/{appointment_id}/attendance", {"accompanied": True}))
    data = ok(post(client, journey_id, f"goals/{goal_id}/achievement"))
    assert data["goals"][0]["status"] == "achieved"
    assert data["appointments"][0]["status"] == "attended"
    data = ok(post(client, journey_id, "closure", {"reason": "goals_met"}))
    assert data["status"] == "closed" and data["closure_reason"] == "goals_met"
    problem(post(client, journey_id, "exit"), 409, "journey-closed")
    data = ok(post(client, journey_id, "reopening", {"reason": "she_returned"}))
    assert data["status"] == "active" and data["reopened_at"]
    problem(post(client, journey_id, "reopening"), 409, "journey-not-closed")


def test_a_referral_through_its_lifecycle_and_the_409_for_an_already_declined_one(
    client: TestClient,
) -> None:
    journey_id = register(client)
    first, second = referral_body(), referral_body()
    ok(post(client, journey_id, "referrals", first))
    ok(post(client, journey_id, "referrals", second))
    first_id, second_id = first["referral_id"], second["referral_id"]
    ok(post(client, journey_id, f"referrals/{first_id}/acknowledgement"))
    ok(post(client, journey_id, f"referrals/{first_id}/acceptance"))
    data = ok(post(client, journey_id, f"referrals/{first_id}/completion"))
    assert data["referrals"][0]["status"] == "completed"
    data = ok(post(client, journey_id, f"referrals/{second_id}/decline", {"reason": "no_capacity"}))
    assert data["referrals"][1]["status"] == "declined"
    refused = problem(
        post(client, journey_id, f"referrals/{second_id}/acceptance"),
        409,
        "referral-already-declined",
    )
    assert refused["title"] == "The referral was already declined"
    problem(
        post(client, journey_id, f"referrals/{first_id}/withdrawal", {"reason": "other"}),
        409,
        "referral-not-open",
    )
    third = referral_body()
    ok(post(client, journey_id, "referrals", third))
    problem(
        post(client, journey_id, f"referrals/{third['referral_id']}/completion"),
        409,
        "invalid-referral-transition",
    )
    problem(post(client, journey_id, "closure", {"reason": "moved"}), 409, "open-referrals-remain")
    problem(post(client, journey_id, f"referrals/{uuid4()}/acceptance"), 404, "referral-not-found")


def test_sharing_her_data_needs_her_consent_for_that_partner_or_a_lawful_basis(
    client: TestClient,
) -> None:
    journey_id = register(client)
    sharing = referral_body(shares_personal_data=True)
    problem(post(client, journey_id, "referrals", sharing), 409, "consent-required")
    consent(client, journey_id, "share_with_partner", "unseen")
    problem(post(client, journey_id, "referrals", sharing), 409, "consent-required")
    consent_id = consent(client, journey_id, "share_with_partner", "housing_charity")
    data = ok(post(client, journey_id, "referrals", sharing))
    assert data["referrals"][0]["consent_id"] == consent_id
    safeguarding = referral_body(
        partner="met_police", shares_personal_data=True, lawful_basis="safeguarding_vital_interests"
    )
    data = ok(post(client, journey_id, "referrals", safeguarding))
    assert data["referrals"][1]["lawful_basis"] == "safeguarding_vital_interests"
    # She withdraws her consent: the open referral that relied on it asks for attention.
    data = ok(post(client, journey_id, f"consents/{consent_id}/withdrawal"))
    assert data["attention"] == [
        {"kind": "referral_consent_withdrawn", "referral_id": sharing["referral_id"]}
    ]
    problem(
        post(client, journey_id, "referrals", referral_body(shares_personal_data=True)),
        409,
        "consent-required",
    )
    problem(
        post(client, journey_id, f"consents/{consent_id}/withdrawal"),
        409,
        "consent-already-withdrawn",
    )
    problem(post(client, journey_id, f"consents/{uuid4()}/withdrawal"), 404, "consent-not-found")


def test_the_nrm_pathway_for_an_adult(client: TestClient) -> None:
    journey_id = register(client)
    problem(
        post(client, journey_id, "nrm/first-responder-contact", {"partner": "housing_charity"}),
        422,
        "not-a-first-responder",
    )
    ok(post(client, journey_id, "nrm/first-responder-contact", {"partner": "salvation_army"}))
    submission = {"partner": "salvation_army", "submitted_on": str(TODAY - timedelta(days=10))}
    problem(post(client, journey_id, "nrm/referral", submission), 409, "nrm-consent-required")
    consent(client, journey_id, "nrm_referral")
    ok(post(client, journey_id, "nrm/referral", submission))
    decision = {
        "outcome": "positive",
        "decided_on": str(TODAY - timedelta(days=5)),
        "learned_on": str(TODAY - timedelta(days=3)),
        "source": "first_responder",
    }
    ok(post(client, journey_id, "nrm/reasonable-grounds", decision))
    starts = TODAY - timedelta(days=5)
    too_short = {"starts_on": str(starts), "ends_on": str(starts + timedelta(days=29))}
    problem(
        post(client, journey_id, "nrm/recovery-period", too_short), 422, "recovery-period-too-short"
    )
    period = {"starts_on": str(starts), "ends_on": str(starts + timedelta(days=30))}
    ok(post(client, journey_id, "nrm/recovery-period", period))
    data = ok(
        post(client, journey_id, "nrm/conclusive-grounds", {**decision, "source": "solicitor"})
    )
    nrm = data["nrm"]
    assert nrm["submitted_by"] == "salvation_army" and nrm["recovery_ends_on"] == period["ends_on"]
    assert nrm["reasonable_grounds"]["source"] == "first_responder"
    assert nrm["conclusive_grounds"]["source"] == "solicitor"


def test_a_possible_child_is_referred_to_the_nrm_without_consent(client: TestClient) -> None:
    journey_id = register(client)
    data = ok(post(client, journey_id, "possible-minor"))
    assert data["possible_minor"]
    assert data["attention"] == [{"kind": "possible_minor_not_referred", "referral_id": None}]
    problem(post(client, journey_id, "possible-minor"), 409, "already-marked-possible-minor")
    submission = {"partner": "met_police", "submitted_on": str(TODAY)}
    data = ok(post(client, journey_id, "nrm/referral", submission))
    assert data["nrm"]["submitted_as_possible_minor"] and data["attention"] == []
    problem(
        post(
            client,
            journey_id,
            "nrm/recovery-period",
            {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=40))},
        ),
        409,
        "no-positive-reasonable-grounds",
    )


def test_exit_and_its_reversal_return_home_and_lost_contact(client: TestClient) -> None:
    journey_id = register(client)
    assert ok(post(client, journey_id, "exit"))["exited"]
    problem(post(client, journey_id, "exit"), 409, "already-exited")
    assert not ok(post(client, journey_id, "exit-reversal"))["exited"]
    problem(post(client, journey_id, "exit-reversal"), 409, "not-exited")
    data = ok(post(client, journey_id, "return-home", {"assisted": True}))
    assert data["returned_home_assisted"] is True
    assert ok(post(client, journey_id, "contact-lost"))["contact_lost_at"]
    problem(post(client, journey_id, "contact-lost"), 409, "contact-already-lost")


def test_a_pseudonym_is_corrected_by_a_new_event(client: TestClient) -> None:
    journey_id = register(client)
    data = ok(post(client, journey_id, "pseudonym-correction", {"pseudonym": "R-18"}))
    assert data["pseudonym"] == "R-18" and data["version"] == 3
    timeline = wait_until(
        lambda: (
            (p := client.get(f"/journeys/{journey_id}/timeline").json()).get("total") == 3 and p
        ),
        message="the timeline caught up",
    )
    assert [e["event"] for e in timeline["items"]][:2] == [
        "pseudonym_corrected",
        "person_registered",
    ]
    data = ok(
        post(
            client,
            journey_id,
            "language-preferences",
            {
                "preferred_languages": ["ro", "en"],
                "interpreter_needed": False,
            },
        )
    )
    assert data["preferred_languages"] == ["ro", "en"] and not data["interpreter_needed"]


def test_a_contact_journey_must_be_registered_before_casework(client: TestClient) -> None:
    contact_id = uuid4()
    cases_in(client).record_contact_from_visit(
        contact_id, uuid4(), "ro", NOW, Tracking("visits", 1)
    )
    journey_id = str(Journey.create_id(contact_id))
    problem(
        post(client, journey_id, "needs-assessments", {"needs": ["health"]}), 409, "not-registered"
    )
    data = ok(post(client, journey_id, "registration", {"pseudonym": "R-4"}))
    assert (
        data["registered"] and data["contact_id"] == str(contact_id) and len(data["contacts"]) == 1
    )
    ok(post(client, journey_id, "needs-assessments", {"needs": ["health"]}))


# --- refusals: each a named problem, never a 500 --------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "slug"),
    [
        ("goals/{x}/achievement", None, 404, "goal-not-found"),
        ("goals/{x}/drop", {"reason": "not_possible"}, 404, "goal-not-found"),
        ("appointments/{x}/cancellation", None, 404, "appointment-not-found"),
        ("appointments/{x}/move", {"at": "2030-01-01T10:00:00Z"}, 404, "appointment-not-found"),
        ("consents/{x}/withdrawal", None, 404, "consent-not-found"),
        ("referrals/{x}/decline", None, 404, "referral-not-found"),
        ("possible-minor/clearance", None, 409, "not-marked-possible-minor"),
        (
            "nrm/reasonable-grounds",
            {
                "outcome": "positive",
                "decided_on": "2026-01-01",
                "learned_on": "2026-01-02",
                "source": "herself",
            },
            409,
            "nrm-not-submitted",
        ),
        (
            "consents",
            {"consent_id": "{x}", "scope": "share_with_partner", "wording_version": "v1"},
            422,
            "partner-required",
        ),
        (
            "consents",
            {
                "consent_id": "{x}",
                "scope": "store_data",
                "partner": "unseen",
                "wording_version": "v1",
            },
            422,
            "partner-not-expected",
        ),
        (
            "safety-plans",
            {"plan_id": "{x}", "summary": "s", "review_on": "2000-01-01"},
            422,
            "dates-out-of-order",
        ),
        (
            "referrals",
            {**referral_body(), "respond_by": "2001-01-01T00:00:00Z"},
            422,
            "respond-by-not-after-referral",
        ),
    ],
)
def test_each_broken_rule_is_its_own_problem(
    client: TestClient, path: str, body: Any, status: int, slug: str
) -> None:
    journey_id = register(client)
    x = str(uuid4())
    if isinstance(body, dict):
        body = {k: (x if v == "{x}" else v) for k, v in body.items()}
    response = post(client, journey_id, path.replace("{x}", x), body)
    problem(response, status, slug)
    assert client.get(f"/journeys/{journey_id}").json()["version"] == 2  # nothing recorded


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("referrals", referral_body(partner="a_friend"), "body.partner"),
        ("referrals", referral_body(need="Maria's flat"), "body.need"),
        (
            "referrals",
            referral_body(shares_personal_data=False, lawful_basis="legal_obligation"),
            "body",
        ),
        ("needs-assessments", {"needs": ["housing", "wings"]}, "body.needs.1"),
        ("risk-assessments", {"level": "extreme"}, "body.level"),
        ("goals", {"goal_id": str(uuid4()), "goal": "fly"}, "body.goal"),
        ("closure", {"reason": "bored"}, "body.reason"),
        ("caseworker", {"caseworker_id": "Jane Smith"}, "body.caseworker_id"),
        ("meetings", {"meeting_id": "nope", "meeting_type": "coffee"}, "body.meeting_id"),
        ("exit", {"occurred_at": "2026-11-27T20:00:00"}, "body.occurred_at"),
        ("exit", {"occurred_at": "2099-01-01T00:00:00Z"}, "body.occurred_at"),
        ("exit", {"unexpected": 1}, "body.unexpected"),
        ("nrm/first-responder-contact", {"partner": "nobody"}, "body.partner"),
        (
            "registration",
            {"pseudonym": "R", "preferred_languages": ["klingon!"]},
            "body.preferred_languages.0",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, path: str, body: Any, field: str
) -> None:
    journey_id = register(client)
    response = post(client, journey_id, path, body)
    problem_body = problem(response, 422, "validation")
    assert field in [error["field"] for error in problem_body["errors"]], problem_body
    assert "Maria" not in response.text


FAR_AHEAD = (TODAY + timedelta(days=11 * 366)).isoformat()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "needs-assessments",
            {"needs": ["housing"], "occurred_at": "0999-06-01T10:00:00Z"},
            "body.occurred_at",
        ),
        ("exit", {"occurred_at": "0001-01-01T00:00:00+14:00"}, "body.occurred_at"),
        (
            "appointments",
            {"appointment_id": str(uuid4()), "kind": "gp", "at": "0999-01-01T10:00:00Z"},
            "body.at",
        ),
        (
            "appointments",
            {"appointment_id": str(uuid4()), "kind": "gp", "at": "9999-12-31T23:59:59-14:00"},
            "body.at",
        ),
        ("referrals", referral_body(respond_by="0001-01-01T00:00:00+14:00"), "body.respond_by"),
        (
            "safety-plans",
            {"plan_id": str(uuid4()), "summary": "s", "review_on": "0999-01-01"},
            "body.review_on",
        ),
        (
            "goals",
            {"goal_id": str(uuid4()), "goal": "gp_registered", "target_on": FAR_AHEAD},
            "body.target_on",
        ),
        (
            "nrm/referral",
            {"partner": "salvation_army", "submitted_on": FAR_AHEAD},
            "body.submitted_on",
        ),
        (
            "nrm/recovery-period",
            {"starts_on": "1899-12-31", "ends_on": TODAY.isoformat()},
            "body.starts_on",
        ),
    ],
)
def test_an_implausible_date_is_a_422_naming_the_field_never_echoing_it_and_records_nothing(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    journey_id = register(client)
    response = post(client, journey_id, path, body)
    problem_body = problem(response, 422, "validation")
    assert [error["field"] for error in problem_body["errors"]] == [field], problem_body
    for fragment in ("0999", "9999", "0001", "+14", "1899", FAR_AHEAD[:4]):
        assert fragment not in answer_text(response)
    assert client.get(f"/journeys/{journey_id}").json()["version"] == 2  # nothing recorded


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/journeys", {"due_before": "0001-01-01T00:00:00+14:00"}, "query.due_before"),
        ("/due", {"after": "0999-01-01T00:00:00Z"}, "query.after"),
        ("/due", {"before": "9999-12-31T23:59:59-14:00"}, "query.before"),
        ("/due", {"before": "2026-01-01T00:00:00"}, "query.before"),
    ],
)
def test_an_implausible_query_time_is_a_422_naming_it(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    problem_body = problem(response, 422, "validation")
    assert [error["field"] for error in problem_body["errors"]] == [field], problem_body
    assert "0999" not in answer_text(response) and "9999" not in answer_text(response)


def test_unknown_journeys_and_bad_ids_get_problems(client: TestClient) -> None:
    problem(post(client, str(uuid4()), "exit"), 404, "journey-not-found")
    problem(client.get(f"/journeys/{uuid4()}"), 404, "journey-not-found")
    problem(client.get(f"/journeys/{uuid4()}/timeline"), 404, "journey-not-found")
    assert client.get("/journeys/not-a-uuid").status_code == 422


def test_a_journey_the_timeline_has_not_taken_in_yet_opens_with_nothing_listed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the many-hands casework test: read at once after registering her, the timeline
    # answered "no such journey", and the web app showed her caseworker "Page not found".
    journey_id = register(client)
    monkeypatch.setattr(JourneyTimeline, "for_journey", lambda *_, **__: ([], 0))  # lagging
    answer = client.get(f"/journeys/{journey_id}/timeline")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["items"], answer.json()["total"]) == ([], 0)
    problem(client.get(f"/journeys/{uuid4()}/timeline"), 404, "journey-not-found")


def test_error_details_never_carry_her_pseudonym(client: TestClient) -> None:
    journey_id = register(client, pseudonym="Marker-Ana-7")
    response = client.post("/journeys", json={"journey_id": journey_id, "pseudonym": "Other-Name"})
    problem(response, 409, "already-registered")
    assert "Marker-Ana-7" not in response.text and "Other-Name" not in response.text


def test_every_rule_of_the_journey_has_a_named_problem_type() -> None:
    for error, spec in JOURNEY_RULES.items():
        assert issubclass(error, JourneyError)
        assert spec.status in (404, 409, 422) and spec.slug and spec.title, error
        assert error.__doc__, error
    # One problem type a rule; the erased journey's is also the answer when her erasure
    # commits between a command's check and its save (her key gone: SubjectErasedError).
    aliases = {SubjectErasedError: JourneyErased}
    named = [spec for error, spec in DOMAIN_ERRORS.items() if error not in aliases]
    assert len({spec.slug for spec in named}) == len(named)
    assert all(DOMAIN_ERRORS[alias] == DOMAIN_ERRORS[rule] for alias, rule in aliases.items())


# --- concurrency: ETags, If-Match, lost races, retries --------------------------------------


def test_if_match_is_honoured(client: TestClient) -> None:
    journey_id = register(client)
    ok(post(client, journey_id, "caseworker", {"caseworker_id": "cw-1"}, If_Match='"2"'))
    stale = post(client, journey_id, "caseworker", {"caseworker_id": "cw-2"}, If_Match='"2"')
    assert problem(stale, 412, "precondition-failed")["detail"] == "Current version is 3."
    problem(post(client, journey_id, "exit", If_Match="garbage"), 412, "precondition-failed")
    problem(post(client, journey_id, "exit", If_Match='"2", "3"'), 412, "precondition-failed")
    ok(post(client, journey_id, "exit", If_Match='W/"3"'))
    ok(post(client, journey_id, "exit-reversal", If_Match="*"))
    assert client.get(f"/journeys/{journey_id}").json()["caseworker_id"] == "cw-1"


def test_a_retry_with_the_same_client_id_returns_the_journey_unchanged(
    client: TestClient,
) -> None:
    journey_id = register(client)
    body = referral_body()
    first = ok(post(client, journey_id, "referrals", body, If_Match='"2"'))
    # The response was lost; the phone retries with the same id, body and If-Match.
    again = ok(post(client, journey_id, "referrals", body, If_Match='"2"'))
    assert again == first
    problem(
        post(client, journey_id, "referrals", {**body, "need": "health"}), 409, "referral-conflict"
    )
    goal = {"goal_id": str(uuid4()), "goal": "gp_registered"}
    version = ok(post(client, journey_id, "goals", goal))["version"]
    assert ok(post(client, journey_id, "goals", goal))["version"] == version
    problem(
        post(client, journey_id, "goals", {**goal, "goal": "housing_secured"}), 409, "goal-conflict"
    )


# --- the service around it ------------------------------------------------------------------


def test_the_journey_list_follows_status(client: TestClient) -> None:
    journey_id = register(client)
    ok(post(client, journey_id, "needs-assessments", {"needs": ["health"]}))
    # The projection runs in the service (woken after each save): the list catches up.
    listed = wait_until(
        lambda: (
            (page := client.get("/journeys", params={"status": "assessing"}).json())["items"]
            and page
        ),
        message="the journey listed as assessing",
    )
    assert [item["journey_id"] for item in listed["items"]] == [journey_id]
    assert listed["items"][0]["version"] == 4


def test_the_openapi_document_describes_the_routes(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    expected = {
        "/journeys",
        "/journeys/{journey_id}",
        "/journeys/{journey_id}/timeline",
        "/journeys/{journey_id}/registration",
        "/journeys/{journey_id}/consents",
        "/journeys/{journey_id}/consents/{consent_id}/withdrawal",
        "/journeys/{journey_id}/caseworker",
        "/journeys/{journey_id}/needs-assessments",
        "/journeys/{journey_id}/risk-assessments",
        "/journeys/{journey_id}/safety-plans",
        "/journeys/{journey_id}/goals",
        "/journeys/{journey_id}/goals/{goal_id}/achievement",
        "/journeys/{journey_id}/goals/{goal_id}/drop",
        "/journeys/{journey_id}/meetings",
        "/journeys/{journey_id}/appointments",
        "/journeys/{journey_id}/appointments/{appointment_id}/move",
        "/journeys/{journey_id}/appointments/{appointment_id}/cancellation",
        "/journeys/{journey_id}/appointments/{appointment_id}/attendance",
        "/journeys/{journey_id}/referrals",
        "/journeys/{journey_id}/referrals/{referral_id}/acknowledgement",
        "/journeys/{journey_id}/referrals/{referral_id}/acceptance",
        "/journeys/{journey_id}/referrals/{referral_id}/decline",
        "/journeys/{journey_id}/referrals/{referral_id}/completion",
        "/journeys/{journey_id}/referrals/{referral_id}/withdrawal",
        "/journeys/{journey_id}/nrm/first-responder-contact",
        "/journeys/{journey_id}/nrm/referral",
        "/journeys/{journey_id}/nrm/reasonable-grounds",
        "/journeys/{journey_id}/nrm/recovery-period",
        "/journeys/{journey_id}/nrm/conclusive-grounds",
        "/journeys/{journey_id}/possible-minor",
        "/journeys/{journey_id}/possible-minor/clearance",
        "/journeys/{journey_id}/exit",
        "/journeys/{journey_id}/exit-reversal",
        "/journeys/{journey_id}/return-home",
        "/journeys/{journey_id}/contact-lost",
        "/journeys/{journey_id}/closure",
        "/journeys/{journey_id}/reopening",
        "/journeys/{journey_id}/pseudonym-correction",
        "/journeys/{journey_id}/language-preferences",
    }
    assert expected <= paths, expected - paths


def test_a_body_over_the_limit_is_a_413(client: TestClient) -> None:
    journey_id = register(client)
    response = post(
        client,
        journey_id,
        "meetings",
        {"meeting_id": str(uuid4()), "meeting_type": "coffee", "notes": "x" * 9000},
    )
    assert response.status_code == 413


def test_dates_are_dates(client: TestClient) -> None:
    journey_id = register(client)
    target = str(date(2030, 1, 1))
    data = ok(
        post(
            client,
            journey_id,
            "goals",
            {"goal_id": str(uuid4()), "goal": "gp_registered", "target_on": target},
        )
    )
    assert data["goals"][0]["target_on"] == target


def test_the_read_model_routes_answer_the_caseworkers_questions(client: TestClient) -> None:
    journey_id = register(client)
    ok(post(client, journey_id, "caseworker", {"caseworker_id": "cw-9"}))
    ok(post(client, journey_id, "needs-assessments", {"needs": ["housing"]}))
    ok(post(client, journey_id, "referrals", referral_body()))
    appointment = {
        "appointment_id": str(uuid4()),
        "kind": "gp",
        "at": (NOW + timedelta(days=3)).isoformat(),
        "accompanied": True,
    }
    version = ok(post(client, journey_id, "appointments", appointment))["version"]
    # What is due is written onto her caseload row by the due list's projection, not by the
    # caseload's: wait for the caseload itself to reach her last event too.
    mine = wait_until(
        lambda: (
            (p := client.get("/journeys", params={"caseworker": "cw-9"}).json())["items"]
            and p["items"][0]["next_due_at"]
            and p["items"][0]["version"] == version
            and p
        ),
        message="my caseload with what is due",
    )
    assert mine["items"][0]["journey_id"] == journey_id
    assert mine["items"][0]["open_referrals"] == 1
    board = wait_until(
        lambda: client.get("/referrals", params={"partner": "housing_charity"}).json()["items"],
        message="the referrals board",
    )
    assert board[0]["journey_id"] == journey_id and board[0]["overdue"] is False
    due = client.get("/due", params={"caseworker": "cw-9"}).json()
    assert [item["kind"] for item in due["items"]] == ["appointment"]
    assert client.get("/journeys", params={"caseworker": "nobody"}).json()["total"] == 0
    assert client.get("/due", params={"before": "not a time"}).status_code == 422
    assert client.get("/referrals", params={"status": "lost"}).status_code == 422
    assert client.get("/journeys", params={"caseworker": "no spaces"}).status_code == 422
