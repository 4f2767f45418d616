"""Every route of every service, against every role: generated from each service's OpenAPI.

The expected roles are written here, apart from the services' own access tables, so a change
to who may do what has to be made twice, on purpose. A route that appears in an OpenAPI
document without a line here fails the first test: no new endpoint escapes the matrix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.cases.api.access import ACCESS_RULES as CASES_RULES
from services.cases.main import create_app as cases_app
from services.notifications.api.access import ACCESS_RULES as NOTIFICATIONS_RULES
from services.notifications.main import create_app as notifications_app
from services.visits.api.access import ACCESS_RULES as VISITS_RULES
from services.visits.main import create_app as visits_app
from shared.admin.access import SHARED_ACCESS_RULES
from shared.http.access import PUBLIC_PATHS
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, make_settings

OUT, CW, SL = Role.OUTREACH, Role.CASEWORKER, Role.SAFEGUARDING_LEAD
MGR, ADM, AUD = Role.MANAGER, Role.ADMIN, Role.AUDITOR
EVERYONE = frozenset(Role)
ON_VISITS = frozenset({OUT, SL})
SEE_VISITS = frozenset({OUT, CW, SL})
CASEWORK = frozenset({CW, SL})
OVERSIGHT = frozenset({ADM, AUD})

SHARED = {
    "GET /reference": EVERYONE,
    "GET /subject-access/{journey_id}": frozenset({ADM}),
    "GET /admin/aggregates/{aggregate_id}/history": OVERSIGHT,
    "GET /admin/aggregates/{aggregate_id}/as-of": OVERSIGHT,
    "POST /admin/projections/{name}/rebuild": frozenset({ADM}),
    "GET /admin/projections": frozenset({ADM}),
    "GET /admin/projections/{name}": frozenset({ADM}),
    "GET /audit": OVERSIGHT,
    "GET /audit/verify": OVERSIGHT,
}
VISITS = {
    "POST /visits": ON_VISITS,
    "GET /visits": SEE_VISITS,
    "GET /visits/{visit_id}": SEE_VISITS,
    "GET /visits/{visit_id}/events": SEE_VISITS,
    "POST /visits/{visit_id}/contacts": ON_VISITS,
    "POST /visits/{visit_id}/premises-indicators": ON_VISITS,
    "POST /visits/{visit_id}/person-indicators": ON_VISITS,
    "POST /visits/{visit_id}/follow-ups": ON_VISITS,
    "POST /visits/{visit_id}/urgent-concerns": ON_VISITS,
    "POST /visits/{visit_id}/urgent-concerns/{concern_id}/resolution": frozenset({SL}),
    "POST /visits/{visit_id}/completion": ON_VISITS,
    "POST /visits/{visit_id}/contacts/{contact_id}/alias-correction": ON_VISITS,
    "POST /visits/{visit_id}/premises-correction": ON_VISITS,
    "POST /visits/{visit_id}/contacts/{contact_id}/person-link": CASEWORK,
    "POST /premises": ON_VISITS,
    "GET /premises": SEE_VISITS,
    "GET /premises/{premises_id}": SEE_VISITS,
    "POST /premises/{premises_id}/label-correction": ON_VISITS,
    "GET /premises/{premises_id}/history": SEE_VISITS,
    "GET /premises/{premises_id}/events": SEE_VISITS,
}
_JOURNEY_STEPS = [
    "registration",
    "pseudonym-correction",
    "language-preferences",
    "consents",
    "consents/{consent_id}/withdrawal",
    "caseworker",
    "possible-minor",
    "exit",
    "exit-reversal",
    "return-home",
    "contact-lost",
    "closure",
    "reopening",
    "needs-assessments",
    "risk-assessments",
    "safety-plans",
    "goals",
    "goals/{goal_id}/achievement",
    "goals/{goal_id}/drop",
    "meetings",
    "appointments",
    "appointments/{appointment_id}/move",
    "appointments/{appointment_id}/cancellation",
    "appointments/{appointment_id}/attendance",
    "referrals",
    "referrals/{referral_id}/acknowledgement",
    "referrals/{referral_id}/acceptance",
    "referrals/{referral_id}/decline",
    "referrals/{referral_id}/completion",
    "referrals/{referral_id}/withdrawal",
    "nrm/first-responder-contact",
    "nrm/referral",
    "nrm/reasonable-grounds",
    "nrm/recovery-period",
    "nrm/conclusive-grounds",
]
CASES = {
    "GET /journeys": CASEWORK,
    "GET /journeys/intake": CASEWORK,
    "POST /journeys/{journey_id}/claim": frozenset({CW}),
    "POST /journeys": CASEWORK,
    "GET /referrals": CASEWORK,
    "GET /due": CASEWORK,
    "GET /journeys/{journey_id}": CASEWORK,
    "GET /journeys/{journey_id}/timeline": CASEWORK,
    **{f"POST /journeys/{{journey_id}}/{step}": CASEWORK for step in _JOURNEY_STEPS},
    "POST /journeys/{journey_id}/possible-minor/clearance": frozenset({SL}),
    "POST /journeys/{journey_id}/break-glass": frozenset({CW}),
    "GET /statistics": frozenset({MGR, ADM}),
    "POST /journeys/{journey_id}/erasure-requests": CASEWORK,
    "POST /erasure-requests": frozenset({ADM}),
    "GET /erasure-requests": frozenset({ADM}),
    "POST /erasure-requests/{journey_id}/approval": frozenset({ADM}),
}
NOTIFICATIONS = {
    "GET /inbox": EVERYONE,
    "GET /notifications/{notification_id}": EVERYONE,
    "POST /notifications/{notification_id}/read": EVERYONE,
    "POST /notifications/{notification_id}/acknowledgement": EVERYONE,
}
EXPECTED = {
    ServiceName.VISITS: {**SHARED, **VISITS},
    ServiceName.CASES: {**SHARED, **CASES},
    ServiceName.NOTIFICATIONS: {**SHARED, **NOTIFICATIONS},
}
ACCESS_TABLES = {
    ServiceName.VISITS: VISITS_RULES,
    ServiceName.CASES: CASES_RULES,
    ServiceName.NOTIFICATIONS: NOTIFICATIONS_RULES,
}
FACTORIES = {
    ServiceName.VISITS: visits_app,
    ServiceName.CASES: cases_app,
    ServiceName.NOTIFICATIONS: notifications_app,
}


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[ServiceName, TestClient]]:
    var_dir = tmp_path_factory.mktemp("access") / "var"
    opened = {
        service: TestClient(factory(make_settings(service, var_dir)))
        for service, factory in FACTORIES.items()
    }
    for client in opened.values():
        client.__enter__()
    yield opened
    for client in opened.values():
        client.__exit__(None, None, None)


def routes_of(app: FastAPI) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        if path not in PUBLIC_PATHS
        for method in operations
    }


def concrete(route: str) -> tuple[str, str]:
    method, _, template = route.partition(" ")
    return method, re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), template)


def test_every_route_of_every_service_is_in_the_matrix_and_nothing_else(
    clients: dict[ServiceName, TestClient],
) -> None:
    for service, client in clients.items():
        assert isinstance(client.app, FastAPI)
        assert routes_of(client.app) == set(EXPECTED[service]), service
        # …and the service's own table names no route that is not there.
        rules = {**SHARED_ACCESS_RULES, **ACCESS_TABLES[service]}
        assert set(rules) == set(EXPECTED[service]), service


CASES_OF_ROLES = [
    pytest.param(service, route, role, id=f"{service}:{route}:{role}")
    for service, routes in EXPECTED.items()
    for route in sorted(routes)
    for role in Role
]


@pytest.mark.parametrize(("service", "route", "role"), CASES_OF_ROLES)
def test_each_role_reaches_exactly_the_routes_it_is_allowed(
    clients: dict[ServiceName, TestClient], service: ServiceName, route: str, role: Role
) -> None:
    method, path = concrete(route)
    response = clients[service].request(
        method, path, json={} if method == "POST" else None, headers=bearer(role)
    )
    if role in EXPECTED[service][route]:
        # Past the gate: whatever the route makes of a made-up id or an empty body.
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "type": "urn:waymark:problem:forbidden",
            "title": "You are not allowed to do this",
            "status": 403,
            "request_id": response.headers["x-request-id"],
        }


VISIT_ROUTES = [
    pytest.param(route, role, id=f"{route}:{role}")
    for route, roles in sorted(VISITS.items())
    if "{visit_id}" in route
    for role in sorted(roles)
]


@pytest.mark.parametrize(("route", "role"), VISIT_ROUTES)
def test_a_visit_opens_only_to_its_own_team_below_the_safeguarding_lead(
    clients: dict[ServiceName, TestClient], route: str, role: Role
) -> None:
    visits = clients[ServiceName.VISITS]
    visit_id = str(uuid4())
    recorded = visits.post(
        "/visits",
        json={
            "visit_id": visit_id,
            "premises_label": "P-1",
            "team": "west",
            "started_at": "2026-11-27T20:00:00Z",
        },
        headers=bearer(Role.OUTREACH, subject="v-west", team="west"),
    )
    assert recorded.status_code == 201, recorded.text
    method, path = concrete(route.replace("{visit_id}", visit_id))
    body = {} if method == "POST" else None
    west = visits.request(method, path, json=body, headers=bearer(role, team="west"))
    east = visits.request(method, path, json=body, headers=bearer(role, team="east"))
    assert west.status_code not in (401, 403), west.text
    if role is SL:
        assert east.status_code not in (401, 403), east.text
    else:
        assert east.status_code == 403, east.text
        assert east.json()["type"] == "urn:waymark:problem:not-your-visit"


@pytest.mark.parametrize("service", list(ServiceName))
def test_every_route_refuses_a_caller_without_a_token(
    clients: dict[ServiceName, TestClient], service: ServiceName
) -> None:
    for route in EXPECTED[service]:
        method, path = concrete(route)
        response = clients[service].request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 401, route
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_health_and_the_api_description_need_no_token(
    clients: dict[ServiceName, TestClient],
) -> None:
    client = clients[ServiceName.CASES]
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_a_path_without_a_rule_is_not_found_for_everyone(
    clients: dict[ServiceName, TestClient],
) -> None:
    client = clients[ServiceName.CASES]
    for role in Role:
        assert client.get("/journeys-secret", headers=bearer(role)).status_code == 404
