"""E2E: the three services as processes, real NATS, a real SMTP server and a webhook receiver.
An urgent concern posted to visits reaches the on-call lead by email and signed webhook and is
acknowledged over HTTP; a caseworker assigned in cases is told, and reminded of an appointment
that is then cancelled — and no message carries anything she said or is called."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.security.roles import Role
from shared.settings import ServiceName
from tests.e2e.system import System
from tests.integration.test_notifications_delivery import (
    SECRET,
    SmtpSink,
    WebhookReceiver,
    body_of,
    notifications_config,
)
from tests.support import bearer, wait_until

pytestmark = pytest.mark.e2e

ALIAS = "Marker-e2e-notify-alias"
DETAILS = "Marker-e2e-notify-details"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def wired(
    tmp_path: Path, database: tuple[str | None, str | None], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[System, SmtpSink, WebhookReceiver]]:
    smtp, webhooks = SmtpSink(), WebhookReceiver().start()
    smtp.controller.start()
    config_file = tmp_path / "notifications.json"
    config_file.write_text(json.dumps(notifications_config(webhooks)))
    # The services inherit the environment: only notifications reads these.
    monkeypatch.setenv("WAYMARK_NOTIFICATIONS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("WAYMARK_NOTIFICATIONS_WEBHOOK_SECRETS", json.dumps({"team-chat": SECRET}))
    monkeypatch.setenv("WAYMARK_NOTIFICATIONS_DISPATCH_INTERVAL_S", "0.1")
    monkeypatch.setenv("WAYMARK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WAYMARK_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("WAYMARK_SMTP_SECURITY", "none")
    url, prefix = database
    system = System(tmp_path, database_url=url, schema_prefix=prefix).start()
    try:
        yield system, smtp, webhooks
    finally:
        system.stop()
        smtp.controller.stop()
        webhooks.stop()


def inbox(system: System, recipient: str) -> list[dict[str, Any]]:
    # The inbox shows each person only her own: ask as the user the address names.
    response = httpx.get(
        system.url(ServiceName.NOTIFICATIONS) + "/inbox",
        params={"recipient": recipient},
        headers=bearer(Role.CASEWORKER, subject=recipient.removeprefix("user:")),
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["items"])


def test_an_urgent_concern_is_told_to_the_lead_and_acknowledged(
    wired: tuple[System, SmtpSink, WebhookReceiver],
) -> None:
    system, smtp, webhooks = wired
    visit_id = uuid4()
    response = system.post_visit(
        {
            "visit_id": str(visit_id),
            "premises_label": "P-7",
            "team": "west",
            "languages_offered": ["ro"],
            "started_at": (NOW - timedelta(hours=2)).isoformat(),
            "completed_at": (NOW - timedelta(hours=1)).isoformat(),
            "contacts": [{"contact_id": str(uuid4()), "alias": ALIAS, "language": "ro"}],
            "urgent_concerns": [{"concern": "possible_minor", "details": DETAILS}],
        }
    )
    assert response.status_code == 201, response.text
    (email,) = wait_until(lambda: smtp.to("sg1@charity.test"), message="the lead's email")
    wait_until(lambda: webhooks.acted, message="the chat bridge")
    assert f"https://waymark.test/visits/{visit_id}" in body_of(email)
    everything_sent = "".join(m.as_string() for m in smtp.messages) + json.dumps(webhooks.acted)
    assert ALIAS not in everything_sent and DETAILS not in everything_sent
    assert "possible_minor" not in everything_sent
    assert webhooks.forged == 0

    (entry,) = wait_until(lambda: inbox(system, "user:sg-1"), message="the lead's inbox")
    notifications = system.client(ServiceName.NOTIFICATIONS, Role.SAFEGUARDING_LEAD, subject="sg-1")
    path = f"/notifications/{entry['notification_id']}"
    shown = wait_until(
        lambda: (
            (r := notifications.get(path)).status_code == 200
            and all(d["state"] == "delivered" for d in r.json()["deliveries"])
            and r
        ),
        message="both channels recorded as delivered",
    )
    acknowledged = notifications.post(
        path + "/acknowledgement",
        headers={"If-Match": shown.headers["ETag"]},
    )
    notifications.close()
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == "sg-1"
    wait_until(
        lambda: inbox(system, "user:sg-1")[0]["state"] == "acknowledged", message="acknowledged"
    )


def test_a_caseworker_is_told_of_her_assignment_and_reminded_of_an_appointment(
    wired: tuple[System, SmtpSink, WebhookReceiver],
) -> None:
    system, smtp, _ = wired
    cases = system.client(ServiceName.CASES, Role.CASEWORKER, subject="cw-1")
    journey_id, appointment_id = uuid4(), uuid4()
    steps = [
        (
            "/journeys",
            {
                "journey_id": str(journey_id),
                "pseudonym": ALIAS,
                "preferred_languages": ["ro"],
                "interpreter_needed": True,
            },
        ),
        (f"/journeys/{journey_id}/caseworker", {"caseworker_id": "cw-1"}),
        (
            f"/journeys/{journey_id}/appointments",
            {
                "appointment_id": str(appointment_id),
                "kind": "jobcentre",
                "at": (NOW + timedelta(hours=2)).isoformat(),
            },
        ),
    ]
    for path, body in steps:
        response = cases.post(path, json=body)
        assert response.status_code in (200, 201), response.text
    wait_until(
        lambda: (
            smtp.subjects_to("cw1@charity.test")
            == [
                "Waymark: A support journey was assigned to you",
                "Waymark: An appointment is coming up",
            ]
        ),
        message="the caseworker's emails",
    )
    response = cases.post(
        f"/journeys/{journey_id}/appointments/{appointment_id}/cancellation", json={}
    )
    cases.close()
    assert response.status_code == 200, response.text
    wait_until(
        lambda: (
            {e["rule"]: e["state"] for e in inbox(system, "user:cw-1")}.get("appointment_due")
            == "cancelled"
        ),
        message="the reminder withdrawn",
    )
    for message in smtp.messages:
        assert ALIAS not in message.as_string()
        assert f"/journeys/{journey_id}" in body_of(message)
