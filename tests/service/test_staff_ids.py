"""A staff id is whatever subject her sign-in carries, wherever the system takes one.

Identity providers write subjects their own way (Auth0: ``auth0|6543f0``). A caseworker whose
token the services accept must be able to open a journey by break-glass, be assigned one, be
found by the caseload and due filters and by the audit search, and be published as herself:
a break-glass grant no contract could carry would hold the cases relay at it, with every later
event behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.cases.integration import translator
from services.cases.main import create_app
from shared.contracts.base import STAFF_ID, StaffId
from shared.contracts.cases import BreakGlassAccessGrantedV1, CaseworkerAssignedV1
from shared.messaging.relay import as_contracts
from shared.security.roles import Role
from shared.security.tokens import (
    InvalidToken,
    TokenVerifier,
    is_reserved_subject,
    issue_dev_token,
)
from shared.settings import ServiceName
from tests.support import bearer, cases_in, make_settings, read_models_caught_up, served

AUTH0 = "auth0|6543f0c2a1"
LONGEST = "cw." + "x" * 197  # 200 characters, the most a subject may have
LEAD = bearer(roles=(Role.SAFEGUARDING_LEAD, Role.AUDITOR, Role.ADMIN), subject="sg-1")
REASON = "She phoned the night line; her caseworker is on leave"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.CASES, tmp_path / "var", LEAD) as test_client:
        yield test_client


def register(client: TestClient) -> str:
    journey_id = str(uuid4())
    body = {"journey_id": journey_id, "pseudonym": "R-17", "preferred_languages": ["ro"]}
    response = client.post("/journeys", json=body, headers=LEAD)
    assert response.status_code == 201, response.text
    return journey_id


def published(client: TestClient, journey_id: str) -> list[Any]:
    """What the cases relay makes of the journey's events: each one's contracts, made by the
    relay's own translator (it raises for an event that cannot be published)."""
    cases = cases_in(client)
    translate = translator(cases)
    events = cases.repository.event_store.get(UUID(journey_id))
    return [contract for event in events for contract in as_contracts(translate(event))]


@pytest.mark.parametrize("subject", [AUTH0, LONGEST])
def test_given_an_unusual_subject_when_she_breaks_glass_then_the_grant_is_published(
    client: TestClient, subject: str
) -> None:
    journey_id = register(client)
    her = bearer(Role.CASEWORKER, subject=subject, team="east")
    response = client.post(
        f"/journeys/{journey_id}/break-glass", json={"reason": REASON}, headers=her
    )
    assert response.status_code == 201, response.text
    grants = [c for c in published(client, journey_id) if isinstance(c, BreakGlassAccessGrantedV1)]
    assert [grant.caseworker_id for grant in grants] == [subject]


def test_given_such_caseworkers_when_a_lead_assigns_them_then_published_and_found_by_the_filters(
    client: TestClient,
) -> None:
    journey_id = register(client)
    for caseworker in (AUTH0, LONGEST):
        response = client.post(
            f"/journeys/{journey_id}/caseworker", json={"caseworker_id": caseworker}, headers=LEAD
        )
        assert response.status_code == 200, response.text
    assigned = [c for c in published(client, journey_id) if isinstance(c, CaseworkerAssignedV1)]
    assert [(c.caseworker_id, c.previous_caseworker_id) for c in assigned] == [
        (AUTH0, None),
        (LONGEST, AUTH0),
    ]
    read_models_caught_up(client)
    listed = client.get("/journeys", params={"caseworker": LONGEST}, headers=LEAD)
    assert listed.status_code == 200, listed.text
    assert [item["journey_id"] for item in listed.json()["items"]] == [journey_id]
    due = client.get("/due", params={"caseworker": LONGEST}, headers=LEAD)
    assert due.status_code == 200, due.text


def test_given_such_a_caseworker_has_been_served_then_the_audit_search_finds_her(
    client: TestClient,
) -> None:
    journey_id = register(client)
    her = bearer(Role.CASEWORKER, subject=AUTH0, team="east")
    client.post(f"/journeys/{journey_id}/break-glass", json={"reason": REASON}, headers=her)
    page = client.get("/audit", params={"actor": AUTH0}, headers=LEAD)
    assert page.status_code == 200, page.text
    assert [(i["actor"], i["action"]) for i in page.json()["items"]] == [
        (AUTH0, "POST /journeys/{journey_id}/break-glass")
    ]


_SETTINGS = make_settings(ServiceName.CASES, Path("unused"))
_VERIFIER = TokenVerifier(_SETTINGS)
_STAFF_ID = TypeAdapter(StaffId)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(STAFF_ID, fullmatch=True),
        st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=210),
    )
)
def test_a_subject_a_token_may_carry_is_exactly_a_staff_id_the_contracts_carry(
    subject: str,
) -> None:
    if is_reserved_subject(subject):
        return  # the services' own actors: refused in a token whatever their shape
    try:
        signed_in = _VERIFIER.verify(issue_dev_token(_SETTINGS, [Role.CASEWORKER], subject=subject))
    except InvalidToken:
        signed_in = None
    try:
        _STAFF_ID.validate_python(subject)
        carried = True
    except ValidationError:
        carried = False
    assert (signed_in is not None) == carried
