"""Composition root of the notifications service: the one place its parts are wired."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api.routes import router
from services.notifications.application import NotificationsApplication
from services.notifications.integration import inbound
from services.notifications.projections import Inbox
from shared.http.app import build_api
from shared.runtime import ServiceParts, Stores
from shared.settings import ServiceName, Settings


def assemble(stores: Stores) -> ServiceParts:
    app = NotificationsApplication(env=stores.event_store_env, keyring=stores.keyring)
    inbox = Inbox(
        app, stores.views, stores.positions, poll_interval=stores.settings.log_poll_interval_s
    )
    return ServiceParts(
        application=app, projections=[inbox], subscriptions=[inbound(app)], extras={"inbox": inbox}
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.NOTIFICATIONS)
    return build_api(
        settings,
        title="Waymark notifications",
        description="Who must know what, and by when: the in-app inbox.",
        assemble=assemble,
        routers=[router],
        domain_errors={},
    )
