"""Composition root of the notifications service: the one place its parts are wired."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.notifications.api.access import ACCESS_RULES
from services.notifications.api.errors import DOMAIN_ERRORS
from services.notifications.api.routes import router
from services.notifications.api.subject_access_routes import router as subject_access_router
from services.notifications.application import NotificationsApplication
from services.notifications.channels import Senders
from services.notifications.config import load_config
from services.notifications.dispatch_queue import DispatchQueue
from services.notifications.dispatcher import Clock, Dispatcher
from services.notifications.domain import RetryPolicy
from services.notifications.integration import inbound
from services.notifications.policy import Policy
from services.notifications.queries.inbox.projection import Inbox
from services.notifications.queries.inbox.routes import router as inbox_router
from services.notifications.read_models import NotificationsReadModels
from services.notifications.subject_items import JourneyItems
from shared.http.app import build_api
from shared.runtime import PeriodicTask, ServiceParts, Stores
from shared.settings import ServiceName, Settings

NotificationsParts = ServiceParts[NotificationsApplication, NotificationsReadModels]


def utc_now() -> datetime:
    return datetime.now(UTC)


def assemble(stores: Stores, clock: Clock = utc_now) -> NotificationsParts:
    settings = stores.settings
    loaded = load_config(settings)  # refuses to start on an invalid configuration
    policy = Policy(loaded.config)
    app = NotificationsApplication(
        env=stores.event_store_env,
        keyring=stores.keyring,
        policy=policy,
        retry=RetryPolicy(
            base_s=settings.notifications_retry_base_s,
            max_s=settings.notifications_retry_max_s,
            max_attempts=settings.notifications_max_attempts,
        ),
    )
    poll = settings.log_poll_interval_s
    inbox = Inbox(app, stores.views, stores.positions, poll_interval=poll)
    queue = DispatchQueue(app, stores.views, stores.positions, poll_interval=poll)
    dispatcher = Dispatcher(
        app,
        queue,
        Senders(loaded, settings.notifications_delivery_timeout_s),
        clock,
        timeout_s=settings.notifications_delivery_timeout_s,
    )
    journey_items = JourneyItems(app, stores.views, stores.positions, poll_interval=poll)
    return ServiceParts(
        application=app,
        queries=NotificationsReadModels(
            inbox=inbox, dispatch_queue=queue, journey_items=journey_items, dispatcher=dispatcher
        ),
        projections=[inbox, queue, journey_items],
        subscriptions=inbound(app),
        periodic=[
            PeriodicTask(
                "dispatcher", settings.notifications_dispatch_interval_s, dispatcher.run_once
            )
        ],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.NOTIFICATIONS)
    return build_api(
        settings,
        title="Waymark notifications",
        description=(
            "Who must know what, and by when: the in-app inbox, email and signed webhooks, "
            "reminders and escalation."
        ),
        assemble=assemble,
        routers=[inbox_router, router, subject_access_router],
        domain_errors=DOMAIN_ERRORS,
        access_rules=ACCESS_RULES,
    )
