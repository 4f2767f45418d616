"""Composition root of the cases service: the one place its parts are wired."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.cases.api.access import ACCESS_RULES
from services.cases.api.break_glass_routes import router as break_glass_router
from services.cases.api.errors import DOMAIN_ERRORS
from services.cases.api.routes import router
from services.cases.api.subject_access_routes import router as subject_access_router
from services.cases.application import CasesApplication
from services.cases.integration import inbound, outbound
from services.cases.queries.caseload.intake_routes import router as intake_router
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.caseload.routes import router as caseload_router
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.due_items.routes import router as due_items_router
from services.cases.queries.erasure_requests.projection import ErasureRequests
from services.cases.queries.erasure_requests.routes import admin_router as erasure_admin_router
from services.cases.queries.erasure_requests.routes import journey_router as erasure_journey_router
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.journey_timeline.routes import router as journey_timeline_router
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.queries.referrals_board.routes import router as referrals_board_router
from services.cases.queries.statistics.projection import Statistics
from services.cases.queries.statistics.routes import router as statistics_router
from services.cases.read_models import CasesReadModels
from services.cases.verify import verify_caseload
from shared.http.app import build_api
from shared.runtime import PeriodicTask, ServiceParts, Stores
from shared.settings import ServiceName, Settings

#: How often referrals past their respond-by time are looked for and expired.
REFERRAL_EXPIRY_INTERVAL_S = 60.0

CasesParts = ServiceParts[CasesApplication, CasesReadModels]


def assemble(stores: Stores) -> CasesParts:
    settings = stores.settings
    app = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    poll = settings.log_poll_interval_s
    queries = CasesReadModels(
        caseload=Caseload(app, stores.views, stores.positions, poll_interval=poll),
        journey_timeline=JourneyTimeline(app, stores.views, stores.positions, poll_interval=poll),
        referrals_board=ReferralsBoard(app, stores.views, stores.positions, poll_interval=poll),
        due_items=DueItems(app, stores.views, stores.positions, poll_interval=poll),
        statistics=Statistics(app, stores.views, stores.positions, poll_interval=poll),
        erasure_requests=ErasureRequests(app, stores.views, stores.positions, poll_interval=poll),
    )
    app.open_referrals = queries.referrals_board
    return ServiceParts(
        application=app,
        queries=queries,
        projections=[
            queries.caseload,
            queries.journey_timeline,
            queries.referrals_board,
            queries.due_items,
            queries.statistics,
            queries.erasure_requests,
        ],
        outbound=outbound(app),
        subscriptions=[inbound(app)],
        periodic=[
            PeriodicTask(
                "referral-expiry",
                REFERRAL_EXPIRY_INTERVAL_S,
                lambda: app.expire_overdue_referrals(datetime.now(UTC)),
            )
        ],
        verify=lambda: verify_caseload(app, queries.caseload),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.CASES)
    return build_api(
        settings,
        title="Waymark cases",
        description="Support journeys: one per woman, from first contact onwards.",
        assemble=assemble,
        routers=[
            intake_router,  # before ``/journeys/{journey_id}``, which "intake" is not
            caseload_router,
            journey_timeline_router,
            referrals_board_router,
            due_items_router,
            statistics_router,
            router,
            break_glass_router,
            subject_access_router,
            erasure_journey_router,
            erasure_admin_router,
        ],
        domain_errors=DOMAIN_ERRORS,
        access_rules=ACCESS_RULES,
    )
