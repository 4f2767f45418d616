"""Managers' statistics: anonymised monthly counts from cases, as charts, tables and CSV.

Every number comes from cases' ``GET /statistics`` as published there — small cells already
suppressed, no totals. Nothing here adds cells up or fills in what was suppressed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Refused, Service
from services.web.charts import Bar, bar_chart, statistics_csv, value_text
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

READERS = (Role.MANAGER, Role.ADMIN)
Manager = Annotated[Session, needs(*READERS)]
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MONTH_HINT = "Year and month, for example 2026-01"

#: (chart id, heading, measure) for each chart, in page order.
CHARTS = (
    ("journeys-opened", "Journeys opened, by month", "journeys_opened"),
    ("referral-outcomes", "Referrals by outcome", "referral_outcomes"),
    ("needs-assessed", "Needs assessed", "needs_assessed"),
)


def month_words(month: str) -> str:
    """``2026-03`` → "Mar 2026"."""
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%b %Y")
    except ValueError:
        return month


def cell_label(measure: str, month: str, code: str) -> str:
    """What one bar stands for, in words: the month, and the need or outcome where there is
    one (``housing:accepted`` → "housing: accepted")."""
    when = month_words(month)
    if measure == "journeys_opened":
        return when
    need, _, outcome = code.partition(":")
    what = need.replace("_", " ") + (f": {outcome.replace('_', ' ')}" if outcome else "")
    return f"{when} · {what}"


def default_range(today: datetime | None = None) -> tuple[str, str]:
    """The twelve months up to and including this one."""
    today = today or datetime.now(UTC)
    first_year, first_month = divmod(today.year * 12 + today.month - 1 - 11, 12)
    return f"{first_year:04d}-{first_month + 1:02d}", f"{today.year:04d}-{today.month:02d}"


def check_range(first: str, last: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not _MONTH.match(first):
        errors["from"] = f"Enter the first month as {_MONTH_HINT}."
    if not _MONTH.match(last):
        errors["to"] = f"Enter the last month as {_MONTH_HINT}."
    if not errors and last < first:
        errors["to"] = "The last month must not be before the first month."
    return errors


def _months(request: Request) -> tuple[str, str]:
    first, last = default_range()
    return (
        request.query_params.get("from", first).strip(),
        request.query_params.get("to", last).strip(),
    )


async def _published(request: Request, session: Session, first: str, last: str) -> dict[str, Any]:
    answer = await request.app.state.services.get(
        Service.CASES, "/statistics", session.access_token, {"from": first, "to": last}
    )
    body: dict[str, Any] = answer.body
    return body


def charts_of(cells: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    charts = []
    for chart_id, heading, measure in CHARTS:
        bars = [
            Bar(cell_label(measure, c["month"], c["code"]), None if c["suppressed"] else c["count"])
            for c in cells
            if c["measure"] == measure
        ]
        charts.append(
            {
                "id": chart_id,
                "heading": heading,
                "svg": bar_chart(chart_id, heading, bars, threshold=threshold) if bars else None,
                "rows": [(bar.label, value_text(bar, threshold), bar.suppressed) for bar in bars],
            }
        )
    return charts


@router.get("/statistics", response_class=HTMLResponse)
async def statistics(request: Request, session: Manager) -> Response:
    first, last = _months(request)
    values = {"from": first, "to": last}
    errors = check_range(first, last)
    charts: list[dict[str, Any]] = []
    threshold = 11
    status_code = 422 if errors else 200
    if not errors:
        try:
            body = await _published(request, session, first, last)
            threshold = int(body["k_anonymity"])
            charts = charts_of(body["items"], threshold)
        except Refused as refused:
            errors = {"from": refused.message}
            status_code = refused.status
    return await render(
        request,
        "statistics/page.html",
        {
            "values": values,
            "errors": errors,
            "charts": charts,
            "threshold": threshold,
            "month_hint": _MONTH_HINT,
            "first_words": month_words(first),
            "last_words": month_words(last),
        },
        status_code=status_code,
        title="Statistics",
    )


@router.get("/statistics.csv")
async def statistics_download(request: Request, session: Manager) -> Response:
    first, last = _months(request)
    if check_range(first, last):
        # Only ever reached by editing the address: the page's own link has a checked range.
        return Response(
            "Choose the months on the statistics page, then download again.\n",
            status_code=422,
            media_type="text/plain; charset=utf-8",
        )
    body = await _published(request, session, first, last)
    return Response(
        statistics_csv(body["items"], int(body["k_anonymity"])),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="waymark-statistics-{first}-to-{last}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )
