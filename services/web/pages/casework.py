"""The caseworker's screens as one area: caseload, new journeys, her journey, due, referrals."""

from __future__ import annotations

from fastapi import APIRouter

from services.web.pages import caseload, due, intake, journey, referrals

router = APIRouter()
for area in (caseload, intake, journey, due, referrals):
    router.include_router(area.router)
