"""Composition root of the cases service: the one place its parts are wired."""

from __future__ import annotations

from fastapi import FastAPI

from services.cases.api.errors import DOMAIN_ERRORS
from services.cases.api.routes import router
from services.cases.application import CasesApplication
from services.cases.integration import inbound, outbound
from services.cases.projections import JourneyList, OpenReferrals
from shared.http.app import build_api
from shared.runtime import ServiceParts, Stores
from shared.settings import ServiceName, Settings


def assemble(stores: Stores) -> ServiceParts:
    settings = stores.settings
    app = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    poll = settings.log_poll_interval_s
    journey_list = JourneyList(app, stores.views, stores.positions, poll_interval=poll)
    open_referrals = OpenReferrals(app, stores.views, stores.positions, poll_interval=poll)
    app.open_referrals = open_referrals
    return ServiceParts(
        application=app,
        projections=[journey_list, open_referrals],
        outbound=outbound(app),
        subscriptions=[inbound(app)],
        extras={"journey_list": journey_list, "open_referrals": open_referrals},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.CASES)
    return build_api(
        settings,
        title="Waymark cases",
        description="Support journeys: one per woman, from first contact onwards.",
        assemble=assemble,
        routers=[router],
        domain_errors=DOMAIN_ERRORS,
    )
