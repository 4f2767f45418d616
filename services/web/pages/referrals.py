"""The referrals board: every referral she may see, overdue first, by partner and status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Service
from services.web.pages.caseload import Casework
from services.web.pages.listing import PAGE_SIZE, Paging, code, page_number
from services.web.rendering import render, words

router = APIRouter()

STATUSES = ("made", "acknowledged", "accepted", "declined", "completed", "withdrawn", "expired")


async def partner_names(request: Request, token: str) -> dict[str, str]:
    """The partner organisations of the reference data: code → name."""
    answer = await request.app.state.services.get(Service.CASES, "/reference", token)
    partners = (answer.body or {}).get("partners") or {}
    return {
        str(code_): str(value.get("name") if isinstance(value, dict) else value) or words(code_)
        for code_, value in partners.items()
    }


@router.get("/referrals", response_class=HTMLResponse)
async def board(request: Request, session: Casework) -> Response:
    query = request.query_params
    errors: dict[str, str] = {}
    partners = await partner_names(request, session.access_token)
    partner = code(query.get("partner"), set(partners), errors, "partner")
    status = code(query.get("status"), set(STATUSES), errors, "status")
    filters = {"partner": partner, "status": status}
    page = page_number(query.get("page"))
    answer = await request.app.state.services.get(
        Service.CASES,
        "/referrals",
        session.access_token,
        {
            "partner": partner or None,
            "status": status or None,
            "limit": PAGE_SIZE,
            "offset": (page - 1) * PAGE_SIZE,
        },
    )
    body = answer.body or {}
    return await render(
        request,
        "caseload/referrals.html",
        {
            "items": body.get("items", []),
            "paging": Paging(page, int(body.get("total", 0)), PAGE_SIZE, "/referrals", filters),
            "errors": errors,
            "values": filters,
            "partners": partners,
            "partner_options": sorted(partners.items(), key=lambda item: item[1]),
            "status_options": [(s, s.capitalize()) for s in STATUSES],
        },
        title="Referrals",
    )
