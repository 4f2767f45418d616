"""A visit step route declared by ``visit_step`` is the route a hand-written one would be: the
same operation in the API description (name, ids in the path, body, answers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi import APIRouter, FastAPI

from services.visits.api.schemas import VisitPublic
from services.visits.api.step_schemas import AliasCorrection, Completion, ContactStep
from services.visits.api.steps import STEP, Do, visit_step

PATH = "/visits/{visit_id}"


def by_hand() -> APIRouter:
    router = APIRouter()

    @router.post(f"{PATH}/contacts", **STEP, summary="A contact")
    def add_contact(visit_id: UUID, body: ContactStep, do: Do) -> VisitPublic:
        return do(body.to_command(visit_id))

    @router.post(f"{PATH}/completion", **STEP, summary="Ended")
    def complete_visit(body: Completion, do: Do) -> VisitPublic:
        return do(body.to_command())

    @router.post(f"{PATH}/contacts/{{contact_id}}/alias-correction", **STEP, summary="Alias")
    def correct_alias(
        visit_id: UUID, contact_id: UUID, body: AliasCorrection, do: Do
    ) -> VisitPublic:
        return do(body.to_command(contact_id))

    return router


def declared() -> APIRouter:
    router = APIRouter()
    visit_step(router, f"{PATH}/contacts", ContactStep, summary="A contact")
    visit_step(router, f"{PATH}/completion", Completion, summary="Ended")
    visit_step(
        router, f"{PATH}/contacts/{{contact_id}}/alias-correction", AliasCorrection, summary="Alias"
    )
    return router


def description(router: APIRouter) -> dict[str, Any]:
    app = FastAPI()
    app.include_router(router)
    return app.openapi()


@pytest.mark.parametrize(
    "step", ["contacts", "completion", "contacts/{contact_id}/alias-correction"]
)
def test_a_declared_step_route_is_described_as_the_hand_written_one(step: str) -> None:
    written, made = description(by_hand()), description(declared())
    assert made["paths"][f"{PATH}/{step}"] == written["paths"][f"{PATH}/{step}"]
    assert made["components"] == written["components"]
