"""Composition root of the visits service: the one place its parts are wired."""

from __future__ import annotations

from fastapi import FastAPI

from services.visits.api.access import ACCESS_RULES
from services.visits.api.errors import DOMAIN_ERRORS
from services.visits.api.premises_routes import router as premises_router
from services.visits.api.routes import router
from services.visits.api.subject_access_routes import router as subject_access_router
from services.visits.application import VisitsApplication
from services.visits.integration import inbound, outbound
from services.visits.queries.lists.projection import PremisesDirectory, VisitList
from services.visits.queries.lists.routes import router as list_router
from services.visits.queries.premises_history.projection import PremisesHistory
from services.visits.queries.premises_history.routes import router as premises_history_router
from services.visits.read_models import VisitsReadModels
from services.visits.subject_contacts import SubjectContacts
from services.visits.verify import verify_premises_history
from shared.http.app import build_api
from shared.runtime import ServiceParts, Stores
from shared.settings import ServiceName, Settings

VisitsParts = ServiceParts[VisitsApplication, VisitsReadModels]


def assemble(stores: Stores) -> VisitsParts:
    app = VisitsApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    premises_history = PremisesHistory(
        app, stores.views, stores.positions, poll_interval=stores.settings.log_poll_interval_s
    )
    subject_contacts = SubjectContacts(
        app, stores.views, stores.positions, poll_interval=stores.settings.log_poll_interval_s
    )
    visit_list = VisitList(
        app, stores.views, stores.positions, poll_interval=stores.settings.log_poll_interval_s
    )
    premises_directory = PremisesDirectory(
        app, stores.views, stores.positions, poll_interval=stores.settings.log_poll_interval_s
    )
    return ServiceParts(
        application=app,
        projections=[premises_history, subject_contacts, visit_list, premises_directory],
        outbound=outbound(app),
        subscriptions=[inbound(app)],
        queries=VisitsReadModels(
            premises_history=premises_history,
            subject_contacts=subject_contacts,
            visit_list=visit_list,
            premises_directory=premises_directory,
        ),
        verify=lambda: verify_premises_history(app, premises_history),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service=ServiceName.VISITS)
    return build_api(
        settings,
        title="Waymark visits",
        description="Premises, outreach visits to them, and the contacts made on them.",
        assemble=assemble,
        routers=[
            list_router,
            router,
            premises_router,
            premises_history_router,
            subject_access_router,
        ],
        domain_errors=DOMAIN_ERRORS,
        access_rules=ACCESS_RULES,
    )
