"""Composition root of the visits service: the one place its parts are wired."""

from __future__ import annotations

from fastapi import FastAPI

from services.visits.api.errors import DOMAIN_ERRORS
from services.visits.api.routes import router
from services.visits.application import VisitsApplication
from services.visits.integration import outbound
from shared.http.app import build_api
from shared.runtime import ServiceParts, Stores
from shared.settings import ServiceName, Settings


def assemble(stores: Stores) -> ServiceParts:
    app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
    return ServiceParts(application=app, outbound=outbound(app))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.VISITS)
    return build_api(
        settings,
        title="Waymark visits",
        description="Outreach visits to premises and the contacts made on them.",
        assemble=assemble,
        routers=[router],
        domain_errors=DOMAIN_ERRORS,
    )
