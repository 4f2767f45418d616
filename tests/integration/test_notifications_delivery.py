"""Notifications over real NATS, a real SMTP server (aiosmtpd) and a real webhook receiver that
verifies Standard Webhooks signatures: each rule end to end, channels that are down retried
until they succeed without a duplicate, a restart in the middle of a retry schedule, reminders
that survive a restart and fire once, escalation that stops when acknowledged."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from nats.aio.client import Client
from standardwebhooks import Webhook

from services.notifications.api.deps import NotificationsRuntime
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification, Rule
from services.notifications.main import assemble
from shared.contracts import IntegrationEvent
from shared.contracts.envelope import encode, message_id
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer, free_port
from shared.settings import ServiceName
from tests.integration.harness import eventually, start_runtime
from tests.support import forget_projection, make_settings, new_master_key

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
MARKER = "Marker-notifications-alias"  # personal text that must never appear in a message
Event = TypeVar("Event", bound=IntegrationEvent)


# --- a real SMTP server -------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on a free port; refuses the next ``refuse`` messages with a 451."""

    def __init__(self) -> None:
        self.port = free_port()
        self.refuse = 0
        self.refusal = "451 4.3.0 Try again later"
        self.refused = 0
        self.messages: list[Message] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return self.refusal
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def subjects_to(self, address: str) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.to(address))


# --- a real webhook receiver --------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """A team chat bridge: verifies each signature, answers from ``statuses`` (then 200), and
    acts once per ``webhook-id`` however often it is delivered."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[str, int]] = field(default_factory=list)
    acted: dict[str, dict[str, Any]] = field(default_factory=dict)
    forged: int = 0

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(SECRET).verify(body, headers)
                except Exception:  # noqa: BLE001
                    receiver.forged += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.received.append((headers["webhook-id"], status))
                if status < 300:
                    receiver.acted.setdefault(headers["webhook-id"], payload)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/team-chat"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rules(self) -> list[str]:
        return sorted(p["data"]["rule"] for p in self.acted.values())


# --- the service under test ---------------------------------------------------------------


class Clock:
    """Real time, which a test can move forward (retries need time to pass)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def now(self) -> datetime:
        return self()

    @now.setter
    def now(self, value: datetime) -> None:
        self.offset = value - datetime.now(UTC)


def notifications_config(receiver: WebhookReceiver, escalate_after: float = 60) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "base_url": "https://waymark.test",
        "email": {"sender": "waymark@charity.test"},
        "webhooks": {"team-chat": {"url": receiver.url}},
        "rules": {"urgent_concern": {"escalate_after_minutes": escalate_after}},
        "on_call": {
            "rota": [
                {
                    "starts_on": (today - timedelta(days=30)).isoformat(),
                    "ends_on": (today + timedelta(days=30)).isoformat(),
                    "lead": "sg-1",
                    "deputy": "sg-2",
                }
            ]
        },
        "recipients": {
            "user:sg-1": {
                "channels": ["email", "webhook"],
                "email": "sg1@charity.test",
                "webhook": "team-chat",
            },
            "user:sg-2": {"channels": ["email"], "email": "sg2@charity.test"},
            "user:cw-1": {
                "channels": ["email", "webhook"],
                "email": "cw1@charity.test",
                "webhook": "team-chat",
            },
            "role:caseworker": {"channels": ["email"], "email": "intake@charity.test"},
        },
    }


@dataclass
class Rig:
    nats: NatsServer
    nc: Client
    tmp_path: Path
    database: tuple[str | None, str | None]
    smtp: SmtpSink
    webhooks: WebhookReceiver
    clock: Clock = field(default_factory=Clock)
    master_key: str = field(default_factory=new_master_key)
    runtime: NotificationsRuntime | None = None
    escalate_after: float = 60
    #: The CloudEvents id of each event published as "<service>:<position>".
    sources: dict[str, str] = field(default_factory=dict)

    async def start(self, **overrides: Any) -> NotificationsRuntime:
        config_file = self.tmp_path / "notifications.json"
        config_file.write_text(json.dumps(notifications_config(self.webhooks, self.escalate_after)))
        values: dict[str, Any] = {
            "master_key": self.master_key,
            "notifications_config_file": config_file,
            "notifications_webhook_secrets": {"team-chat": SECRET},
            "notifications_dispatch_interval_s": 0.05,
            "notifications_retry_base_s": 0.1,
            "notifications_retry_max_s": 0.4,
            "notifications_max_attempts": 20,
            "notifications_delivery_timeout_s": 3,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.smtp.port,
            "smtp_security": "none",
            **overrides,
        }
        self.runtime = await start_runtime(
            ServiceName.NOTIFICATIONS,
            partial(assemble, clock=self.clock),
            self.tmp_path / "var",
            self.nats.url,
            self.database,
            **values,
        )
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    @property
    def app(self) -> NotificationsApplication:
        assert self.runtime is not None
        app = self.runtime.app
        assert isinstance(app, NotificationsApplication)
        return app

    async def publish(
        self, event: IntegrationEvent, service: str, position: int, msg_id: str | None = None
    ) -> None:
        origin = UUID(event.aggregate_id())
        payload = encode(
            event,
            service=service,
            origin=origin,
            version=position,
            position=position,
            time=self.clock(),
        )
        event_id = message_id(service, origin, position)
        self.sources[f"{service}:{position}"] = event_id
        headers = {"Nats-Msg-Id": msg_id or event_id}
        await self.nc.jetstream().publish(event.subject, payload, headers=headers)

    def notification_id(self, rule: Rule, published_as: str) -> UUID:
        """The id of the notification raised by the event published as ``<service>:<position>``."""
        return Notification.create_id(rule.value, self.sources[published_as])

    def notification(self, rule: Rule, published_as: str) -> Notification | None:
        try:
            return self.app.get_notification(self.notification_id(rule, published_as))
        except Exception:  # noqa: BLE001
            return None

    def history(self, rule: Rule, published_as: str) -> list[str]:
        notification_id = self.notification_id(rule, published_as)
        return [type(e).__name__ for e in self.app.history(notification_id)]

    async def inbox(self, recipient: str) -> list[str]:
        """``recipient``'s inbox once it has folded the log as it stands: the inbox is a
        projection of its own, so an email or webhook sent (the dispatch queue's work) or a
        notification's state (its own events) says nothing of what the inbox has folded yet."""
        assert self.runtime is not None
        inbox = self.runtime.parts.queries.inbox
        await eventually(lambda: not inbox.read_batch(inbox.position()), message="the inbox")
        entries, _ = inbox.for_recipient(recipient, limit=100, offset=0)
        return sorted(e.rule for e in entries)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest_asyncio.fixture
async def rig(
    nats_server: NatsServer,
    nc: Client,
    tmp_path: Path,
    database: tuple[str | None, str | None],
    smtp: SmtpSink,
    webhooks: WebhookReceiver,
) -> AsyncIterator[Rig]:
    settings = make_settings(ServiceName.NOTIFICATIONS, tmp_path)
    await ensure_streams(nc.jetstream(), (VISITS_STREAM, CASES_STREAM), settings)
    made = Rig(nats_server, nc, tmp_path, database, smtp, webhooks)
    yield made
    await made.stop()


#: The rig on SQLite only, for a test (giving the `backend` fixture one value).
on_sqlite = pytest.mark.parametrize("backend", ["sqlite"])


def message_ids(messages: list[Message]) -> list[str]:
    return [str(m["Message-ID"]) for m in messages]


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def email_state(rig: Rig, source: str = "visits:1") -> str | None:
    notification = rig.notification(Rule.URGENT_CONCERN, source)
    return None if notification is None else notification.deliveries["email"].state.value


def concern(visit_id: UUID, at: datetime) -> IntegrationEvent:
    from shared.contracts import UrgentConcernRaisedV1

    return UrgentConcernRaisedV1(
        concern_id=uuid4(),
        visit_id=visit_id,
        contact_id=uuid4(),
        concern="possible_minor",
        occurred_at=at,
        recorded_at=at,
    )


def about_journey(contract: type[Event], journey: UUID, now: datetime, **fields: Any) -> Event:
    """A cases contract about ``journey`` that happened, and was recorded, ``now``."""
    return contract(journey_id=journey, occurred_at=now, recorded_at=now, **fields)


def appointment_became(
    journey: UUID, appointment: UUID, status: str, at: datetime, now: datetime
) -> IntegrationEvent:
    from shared.contracts import AppointmentScheduledV1

    return about_journey(
        AppointmentScheduledV1,
        journey,
        now,
        appointment_id=appointment,
        kind="gp",
        status=status,
        at=at,
    )


# --- the tests ----------------------------------------------------------------------------


async def test_an_urgent_concern_reaches_the_lead_by_inbox_email_and_signed_webhook(
    rig: Rig,
) -> None:
    await rig.start()
    visit_id = uuid4()
    await rig.publish(concern(visit_id, rig.clock()), "visits", 1)
    await eventually(lambda: rig.smtp.to("sg1@charity.test"), message="email to the lead")
    await eventually(lambda: rig.webhooks.acted, message="webhook to the chat bridge")
    (email,) = rig.smtp.to("sg1@charity.test")
    notification_id = rig.notification_id(Rule.URGENT_CONCERN, "visits:1")
    assert email["Subject"] == "Waymark: An urgent concern needs your attention"
    assert email["Message-ID"] == f"<{notification_id}.email@charity.test>"
    assert f"https://waymark.test/visits/{visit_id}" in body_of(email)
    assert "possible_minor" not in email.as_string()
    ((webhook_id, payload),) = rig.webhooks.acted.items()
    assert webhook_id == f"{notification_id}.webhook"
    assert payload["data"]["url"] == f"https://waymark.test/visits/{visit_id}"
    assert payload["data"]["requires_acknowledgement"] is True
    assert rig.webhooks.forged == 0
    assert await rig.inbox("user:sg-1") == ["urgent_concern"]


async def test_each_caseworker_rule_end_to_end(rig: Rig) -> None:
    from shared.contracts import (
        CaseworkerAssignedV1,
        FollowUpScheduledV1,
        JourneyOpenedV1,
        NrmMilestoneV1,
        ReferralStatusChangedV1,
    )

    await rig.start()
    now, journey, referral = rig.clock(), uuid4(), uuid4()
    today = now.date()

    about_her = partial(about_journey, journey=journey, now=now)

    def referral_became(referral_id: UUID, status: str) -> ReferralStatusChangedV1:
        return about_her(
            ReferralStatusChangedV1, referral_id=referral_id, partner="p", status=status
        )

    events: list[IntegrationEvent] = [
        JourneyOpenedV1(journey_id=journey, opened_at=now, recorded_at=now),
        about_her(CaseworkerAssignedV1, caseworker_id="cw-1"),
        referral_became(referral, "accepted"),
        referral_became(referral, "declined"),
        referral_became(uuid4(), "expired"),
        # Due within the day: the day-before reminder time has passed, so it fires at once.
        appointment_became(journey, uuid4(), "scheduled", now + timedelta(hours=2), now),
        about_her(
            FollowUpScheduledV1,
            follow_up_id=uuid4(),
            kind="coffee",
            due_at=now + timedelta(hours=3),
        ),
        about_her(NrmMilestoneV1, milestone="referral_submitted", on=today - timedelta(days=20)),
        about_her(
            NrmMilestoneV1,
            milestone="recovery_period_started",
            on=today - timedelta(days=30),
            until=today + timedelta(days=3),
        ),
    ]
    for position, event in enumerate(events, start=1):
        await rig.publish(event, "cases", position)
    expected = [
        "appointment_due",
        "caseworker_assigned",
        "follow_up_due",
        "reasonable_grounds_overdue",
        "recovery_period_ending",
        "referral_declined",
        "referral_expired",
    ]
    await eventually(
        lambda: (
            len(rig.smtp.to("cw1@charity.test")) == len(expected)
            and rig.webhooks.rules() == expected
            and rig.smtp.to("intake@charity.test")
        ),
        message="every rule's email and webhook",
    )
    subjects = rig.smtp.subjects_to("cw1@charity.test")
    assert "Waymark: A Reasonable Grounds decision is overdue" in subjects
    assert "Waymark: A recovery period is ending soon" in subjects
    assert rig.smtp.subjects_to("intake@charity.test") == [
        "Waymark: A new support journey was opened"
    ]
    for message in rig.smtp.messages:
        assert f"https://waymark.test/journeys/{journey}" in body_of(message)
    assert await rig.inbox("user:cw-1") == expected
    assert await rig.inbox("role:caseworker") == ["journey_opened"]


@on_sqlite
async def test_an_smtp_server_that_refuses_then_accepts_gets_the_message_once(
    rig: Rig,
) -> None:
    rig.smtp.refuse = 2
    await rig.start()
    await rig.publish(concern(uuid4(), rig.clock()), "visits", 1)
    await eventually(lambda: rig.smtp.to("sg1@charity.test"), message="accepted at last")
    await eventually(lambda: email_state(rig) == "delivered", message="recorded")
    assert rig.smtp.refused == 2
    assert len(rig.smtp.to("sg1@charity.test")) == 1
    notification = rig.notification(Rule.URGENT_CONCERN, "visits:1")
    assert notification is not None
    email = notification.deliveries["email"]
    assert (email.state.value, email.attempts, email.last_reason) == ("delivered", 3, "smtp_451")


@on_sqlite
async def test_a_webhook_answering_500_then_200_acts_once_on_the_same_webhook_id(
    rig: Rig,
) -> None:
    rig.webhooks.statuses = [500, 503]
    await rig.start()
    await rig.publish(concern(uuid4(), rig.clock()), "visits", 1)
    await eventually(lambda: rig.webhooks.acted, message="accepted at last")
    assert [status for _, status in rig.webhooks.received] == [500, 503, 200]
    assert len({webhook_id for webhook_id, _ in rig.webhooks.received}) == 1
    assert len(rig.webhooks.acted) == 1 and rig.webhooks.forged == 0
    await eventually(
        lambda: (
            (n := rig.notification(Rule.URGENT_CONCERN, "visits:1"))
            and n.deliveries["webhook"].state.value == "delivered"
        ),
        message="recorded",
    )


async def test_a_restart_in_the_middle_of_a_retry_schedule_resumes_it(rig: Rig) -> None:
    rig.smtp.refuse = 10**6
    await rig.start()
    await rig.publish(concern(uuid4(), rig.clock()), "visits", 1)
    await eventually(lambda: rig.smtp.refused >= 2, message="two refusals")
    await rig.stop()
    failures = rig.smtp.refused
    rig.smtp.refuse = 0  # the mail server is mended while the service is down
    await rig.start()
    await eventually(lambda: rig.smtp.to("sg1@charity.test"), message="delivered after restart")
    await eventually(lambda: email_state(rig) == "delivered", message="recorded")
    steps = rig.history(Rule.URGENT_CONCERN, "visits:1")
    assert len(rig.smtp.to("sg1@charity.test")) == 1
    assert steps.count("DeliveryFailed") >= failures
    assert steps.count("Delivered") == 2  # email and webhook, once each


@on_sqlite
async def test_a_source_event_delivered_twice_raises_one_notification(rig: Rig) -> None:
    await rig.start()
    event = concern(uuid4(), rig.clock())
    await rig.publish(event, "visits", 1)
    await rig.publish(event, "visits", 1, msg_id="a-redelivered-copy")
    await eventually(
        lambda: rig.runtime is not None and sum(c.applied for c in rig.runtime.consumers) >= 2,
        message="both copies consumed",
    )
    await eventually(lambda: rig.smtp.to("sg1@charity.test"), message="the email")
    assert await rig.inbox("user:sg-1") == ["urgent_concern"]
    assert len(rig.smtp.to("sg1@charity.test")) == 1


@on_sqlite
async def test_rebuilding_the_read_models_sends_nothing_again(rig: Rig) -> None:
    await rig.start()
    await rig.publish(concern(uuid4(), rig.clock()), "visits", 1)
    await eventually(
        lambda: len(rig.webhooks.acted) == 1 and rig.smtp.messages, message="delivered"
    )
    await eventually(
        lambda: rig.history(Rule.URGENT_CONCERN, "visits:1").count("Delivered") == 2,
        message="recorded",
    )
    assert rig.runtime is not None
    before = (len(rig.smtp.messages), len(rig.webhooks.received), rig.app.max_notification_id())
    for view in rig.runtime.parts.projections:
        forget_projection(view)
    views = rig.runtime.parts.projections
    await eventually(lambda: all(not v.read_batch(v.position()) for v in views), message="rebuilt")
    dispatcher = rig.runtime.parts.queries.dispatcher
    for _ in range(3):
        await asyncio.to_thread(dispatcher.run_once)
    after = (len(rig.smtp.messages), len(rig.webhooks.received), rig.app.max_notification_id())
    assert after == before
    assert await rig.inbox("user:sg-1") == ["urgent_concern"]


@on_sqlite
async def test_escalation_reaches_the_deputy_unless_the_lead_acknowledges(
    rig: Rig,
) -> None:
    await rig.start()
    now = rig.clock()
    await rig.publish(concern(uuid4(), now), "visits", 1)
    await rig.publish(concern(uuid4(), now), "visits", 2)
    await eventually(lambda: len(rig.smtp.to("sg1@charity.test")) == 2, message="the lead")
    acknowledged = rig.notification_id(Rule.URGENT_CONCERN, "visits:2")
    await asyncio.to_thread(rig.app.acknowledge, acknowledged, "sg-1", now, None)
    rig.clock.now = now + timedelta(minutes=61)  # past the escalation time
    (email,) = await eventually(lambda: rig.smtp.to("sg2@charity.test"), message="the deputy")
    assert email["Subject"] == "Waymark: An urgent concern has not been acknowledged yet"
    escalated = rig.notification(Rule.URGENT_CONCERN, "visits:1")
    assert escalated is not None and escalated.escalated_to == "user:sg-2"
    assert await rig.inbox("user:sg-2") == ["urgent_concern_escalated"]
    rig.clock.now += timedelta(hours=2)
    dispatcher = rig.runtime.parts.queries.dispatcher  # type: ignore[union-attr]
    await asyncio.to_thread(dispatcher.run_once)
    assert len(rig.smtp.to("sg2@charity.test")) == 1


async def test_a_reminder_survives_restarts_follows_its_appointment_and_fires_once(
    rig: Rig,
) -> None:
    await rig.start()
    now, journey, appointment = rig.clock(), uuid4(), uuid4()
    step = partial(appointment_became, journey, appointment, now=now)

    first, moved = now + timedelta(days=3), now + timedelta(days=10)
    await rig.publish(step("scheduled", first), "cases", 1)
    await rig.publish(step("moved", moved), "cases", 2)
    reminder = await eventually(
        lambda: (
            (r := rig.app.get_reminder(Rule.APPOINTMENT_DUE, str(appointment)))
            and r.due_at == moved
            and r
        ),
        message="the reminder, moved",
    )
    await rig.stop()
    await rig.start()  # the timer lives in the store, not in memory
    rig.clock.now = first  # the old time passes: nothing
    dispatcher = rig.runtime.parts.queries.dispatcher  # type: ignore[union-attr]
    await asyncio.to_thread(dispatcher.run_once)
    assert rig.smtp.to("intake@charity.test") == []
    rig.clock.now = reminder.fire_at
    await eventually(lambda: rig.smtp.to("intake@charity.test"), message="the reminder")
    await rig.stop()
    await rig.start()
    rig.clock.now = reminder.fire_at + timedelta(hours=1)
    await asyncio.to_thread(rig.runtime.parts.queries.dispatcher.run_once)  # type: ignore[union-attr]
    assert len(rig.smtp.to("intake@charity.test")) == 1
    assert await rig.inbox("role:caseworker") == ["appointment_due"]
    # Cancelling the appointment withdraws what was sent; nothing else goes out.
    await rig.publish(step("cancelled", moved), "cases", 3)
    await eventually(
        lambda: (
            (r := rig.app.get_reminder(Rule.APPOINTMENT_DUE, str(appointment)))
            and r.state.value == "cancelled"
        ),
        message="cancelled",
    )
    assert len(rig.smtp.to("intake@charity.test")) == 1


@on_sqlite
async def test_a_refusal_that_retrying_cannot_mend_gives_up_at_once(rig: Rig) -> None:
    rig.smtp.refuse, rig.smtp.refusal = 10, "550 5.1.1 No such mailbox"
    rig.webhooks.statuses = [410] * 10
    await rig.start()
    await rig.publish(concern(uuid4(), rig.clock()), "visits", 1)
    notification = await eventually(
        lambda: (
            (n := rig.notification(Rule.URGENT_CONCERN, "visits:1"))
            and all(d.state.value == "gave_up" for d in n.deliveries.values())
            and n
        ),
        message="given up on both channels",
    )
    assert {c: (d.attempts, d.last_reason) for c, d in notification.deliveries.items()} == {
        "email": (1, "smtp_550"),
        "webhook": (1, "http_410"),
    }
    assert rig.smtp.refused == 1 and len(rig.webhooks.received) == 1
    assert await rig.inbox("user:sg-1") == ["urgent_concern"]  # the inbox still has it
