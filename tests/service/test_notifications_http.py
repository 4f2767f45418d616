"""The notifications HTTP API: the inbox, a notification with its delivery history, read and
acknowledgement with ETags and If-Match — with NATS down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

import services.notifications
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification, Rule
from services.notifications.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import app_in, bearer, make_settings, served, wait_until

SG = bearer(Role.SAFEGUARDING_LEAD, subject="sg-1")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.NOTIFICATIONS, tmp_path / "var", SG) as test_client:
        yield test_client


def app_of(client: TestClient) -> NotificationsApplication:
    return app_in(client, NotificationsApplication)


def urgent(client: TestClient, position: int = 1) -> str:
    visit_id = uuid4()
    source = f"visits:{position}"
    app_of(client).raise_urgent_concern(
        visit_id, source, datetime.now(UTC), Tracking("visits", position)
    )
    notification_id = str(Notification.create_id(Rule.URGENT_CONCERN.value, source))
    wait_until(
        lambda: (
            client.get("/inbox", params={"recipient": "role:safeguarding_lead"}).json()["total"]
            >= position
        ),
        message="inbox entry",
    )
    return notification_id


def test_the_inbox_lists_what_needs_attention_and_where(client: TestClient) -> None:
    notification_id = urgent(client)
    page = client.get("/inbox", params={"recipient": "role:safeguarding_lead"}).json()
    (item,) = page["items"]
    assert item["notification_id"] == notification_id
    assert item["title"] == "An urgent concern needs your attention"
    assert item["link"].startswith("/visits/")
    assert (item["state"], item["needs_acknowledgement"]) == ("unread", True)
    unread = {"recipient": "role:safeguarding_lead", "state": "acknowledged"}
    assert client.get("/inbox", params=unread).json()["total"] == 0


def test_given_an_urgent_concern_when_acknowledged_then_it_no_longer_awaits_acknowledgement(
    client: TestClient,
) -> None:
    awaiting = {"awaiting_acknowledgement": "true", "limit": 3}
    assert client.get("/inbox", params=awaiting).json()["total"] == 0
    notification_id = urgent(client)
    page = client.get("/inbox", params=awaiting).json()
    assert [item["notification_id"] for item in page["items"]] == [notification_id]
    # Reading it is not taking it on: it still waits.
    client.post(f"/notifications/{notification_id}/read")
    wait_until(
        lambda: client.get("/inbox", params={"state": "read"}).json()["total"] == 1,
        message="read in the inbox",
    )
    assert client.get("/inbox", params=awaiting).json()["total"] == 1
    client.post(f"/notifications/{notification_id}/acknowledgement")
    wait_until(
        lambda: client.get("/inbox", params=awaiting).json()["total"] == 0,
        message="no longer awaiting acknowledgement",
    )
    assert client.get("/inbox").json()["total"] == 1


def a_lead_on_call_on(day: date, tmp_path: Path) -> Path:
    """The packaged configuration with sg-1 on call on ``day``: her alerts come by name."""
    packaged = Path(services.notifications.__file__).parent / "notifications.json"
    document = json.loads(packaged.read_text())
    document["on_call"] = {"rota": [{"starts_on": str(day), "ends_on": str(day), "lead": "sg-1"}]}
    path = tmp_path / "notifications.json"
    path.write_text(json.dumps(document))
    return path


def test_given_a_lead_when_she_opens_her_inbox_then_it_holds_hers_and_her_roles_entries(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    now = datetime.now(UTC)
    url, prefix = database
    settings = make_settings(
        ServiceName.NOTIFICATIONS,
        tmp_path / "var",
        database_url=url,
        schema_prefix=prefix,
        notifications_config_file=a_lead_on_call_on(now.date(), tmp_path),
    )
    with TestClient(create_app(settings), headers=SG) as client:
        app = app_of(client)
        # By name: she is on call today. To her role: the intake inbox is the caseworkers'.
        app.note_break_glass(uuid4(), uuid4(), now, Tracking("cases", 1))
        app.raise_urgent_concern(
            uuid4(), "visits:1", datetime(2020, 1, 1, tzinfo=UTC), Tracking("visits", 1)
        )
        app.note_journey_opened(uuid4(), "cases:2", Tracking("cases", 2))
        wait_until(lambda: client.get("/inbox").json()["total"] == 2, message="her inbox")
        as_caseworker_too = bearer(roles=(Role.SAFEGUARDING_LEAD, Role.CASEWORKER), subject="sg-1")
        # Her two entries folded say nothing of the intake entry noted after them: wait for it.
        both = wait_until(
            lambda: (
                (b := client.get("/inbox", headers=as_caseworker_too).json())["total"] == 3 and b
            ),
            message="the intake entry too",
        )

        page = client.get("/inbox").json()
        only_role = client.get("/inbox", params={"recipient": "role:safeguarding_lead"}).json()
        others = client.get("/inbox", params={"recipient": "role:caseworker"})

    assert page["recipients"] == ["role:safeguarding_lead", "user:sg-1"]
    assert sorted((i["recipient"], i["rule"]) for i in page["items"]) == [
        ("role:safeguarding_lead", "urgent_concern"),
        ("user:sg-1", "break_glass_used"),
    ]
    assert both["total"] == 3  # any role: the intake entry too, when she is also a caseworker
    assert [i["rule"] for i in only_role["items"]] == ["urgent_concern"]
    assert others.status_code == 403


def test_a_notification_shows_its_channels_and_history_with_its_version_as_etag(
    client: TestClient,
) -> None:
    notification_id = urgent(client)
    response = client.get(f"/notifications/{notification_id}")
    assert response.status_code == 200
    body = response.json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["recipient"] == "role:safeguarding_lead" and body["deliveries"] == []
    (requested,) = body["history"]
    assert requested["event"] == "Requested"
    assert requested["details"]["rule"] == "urgent_concern"


def test_acknowledging_records_who_and_stops_escalation_and_a_repeat_changes_nothing(
    client: TestClient,
) -> None:
    notification_id = urgent(client)
    etag = client.get(f"/notifications/{notification_id}").headers["ETag"]
    response = client.post(
        f"/notifications/{notification_id}/acknowledgement", headers={**SG, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["acknowledged_by"]) == ("acknowledged", "sg-1")
    assert [step["event"] for step in body["history"]] == ["Requested", "Acknowledged"]
    again = client.post(
        f"/notifications/{notification_id}/acknowledgement", headers={**SG, "If-Match": etag}
    )
    assert again.status_code == 200 and again.json()["version"] == body["version"]
    wait_until(
        lambda: (
            client.get(
                "/inbox", params={"recipient": "role:safeguarding_lead", "state": "acknowledged"}
            ).json()["total"]
            == 1
        ),
        message="acknowledged in the inbox",
    )


def test_a_stale_if_match_is_refused_with_412(client: TestClient) -> None:
    notification_id = urgent(client)
    client.post(f"/notifications/{notification_id}/read", headers=SG)
    response = client.post(
        f"/notifications/{notification_id}/acknowledgement", headers={**SG, "If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert response.headers["content-type"].startswith("application/problem+json")
    garbage = client.post(
        f"/notifications/{notification_id}/read", headers={**SG, "If-Match": "whatever"}
    )
    assert garbage.status_code == 412


def test_reading_marks_it_read(client: TestClient) -> None:
    notification_id = urgent(client)
    body = client.post(f"/notifications/{notification_id}/read", headers=SG).json()
    assert body["state"] == "read" and body["read_at"] is not None


def test_an_unknown_notification_is_404_and_a_bad_recipient_422(client: TestClient) -> None:
    assert client.get(f"/notifications/{uuid4()}").status_code == 404
    assert client.post(f"/notifications/{uuid4()}/acknowledgement").status_code == 404
    assert client.get("/inbox", params={"recipient": "Jane Doe"}).status_code == 422


def test_a_caseworker_named_by_an_identity_provider_s_subject_finds_her_own_inbox(
    client: TestClient,
) -> None:
    her = bearer(Role.CASEWORKER, subject="auth0|65f0")
    app_of(client).assign_caseworker(uuid4(), "auth0|65f0", "cases:7", Tracking("cases", 7))
    mine = wait_until(
        lambda: (
            (
                page := client.get("/inbox", params={"recipient": "user:auth0|65f0"}, headers=her)
            ).status_code
            == 200
            and page.json()["total"] == 1
            and page.json()
        ),
        message="her inbox, by her own address",
    )
    assert [(i["recipient"], i["rule"]) for i in mine["items"]] == [
        ("user:auth0|65f0", "caseworker_assigned")
    ]


def test_the_dispatcher_runs_and_is_reported_ready_but_nats_is_down(client: TestClient) -> None:
    checks = client.get("/readyz").json()["checks"]
    assert checks["periodic:dispatcher"] is True
    assert checks["projection:dispatch_queue"] is True
    assert checks["nats"] is False
