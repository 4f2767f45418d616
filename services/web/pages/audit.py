"""The auditor's screens: who read or changed which record, when and why — one service's audit
log or all three merged by time — and whether each log's hash chain is intact.

Each service keeps its own log and answers for it (``GET /audit``, ``GET /audit/verify``);
these reads are audited too. Merging three logs page by page needs every entry before the
page from each of them, so the merged view reaches back ``MERGED_REACH`` entries (the most one
call may fetch) and asks for narrower filters beyond.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, field_validator

from services.web.api import Refused, Service, Services
from services.web.pages.listing import page_count
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.http.audit_routes import FILTER
from shared.security.roles import Role

router = APIRouter(prefix="/audit")
#: The signed-in person, if these pages are for her roles (the services still decide each read).
Auditor = Annotated[Session, needs(Role.AUDITOR, Role.ADMIN)]

PAGE_SIZE = 25
#: The most entries one ``GET /audit`` answers with; the merged view reaches back this far.
MERGED_REACH = 500
SERVICES = (Service.VISITS, Service.CASES, Service.NOTIFICATIONS)
OUTCOMES = [
    ("served", "Served"),
    ("refused", "Refused (4xx)"),
    ("failed", "Failed (5xx)"),
]
_TEXT_FILTERS = ("actor", "record_id", "action")
#: What the services accept in a text filter (ids, codes and route templates).
_FILTER = re.compile(FILTER)


class Search(BaseModel):
    """The search as asked in the address: any filter may be left out, and a page that is not
    a plain number in range is the first."""

    model_config = ConfigDict(frozen=True)

    service: str = "all"
    actor: str = ""
    record_id: str = ""
    action: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""
    page: int = 1

    @field_validator("page", mode="before")
    @classmethod
    def _page_number(cls, raw: object) -> int:
        text = str(raw)
        plain = text.isascii() and text.isdigit() and len(text) <= 6  # what int reads, quickly
        return int(text) if plain and 0 < int(text) <= 100_000 else 1

    @property
    def asked(self) -> bool:
        return (
            any((self.actor, self.record_id, self.action, self.outcome, self.since, self.until))
            or self.service != "all"
        )

    def values(self) -> dict[str, str]:
        """The filters as asked, to show them back in the form."""
        return self.model_dump(exclude={"page"})

    def link(self, page: int) -> str:
        params = {k: v for k, v in self.values().items() if v}
        return "/audit?" + urlencode({**params, "page": page})


def day_start(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(0, tzinfo=UTC))
    except ValueError:
        return None


def check(search: Search) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's filters from the form, and a sentence per field that cannot be read
    (never repeating what was typed)."""
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    for name in _TEXT_FILTERS:
        value = getattr(search, name).strip()
        if not value:
            continue
        if _FILTER.fullmatch(value):
            params[name] = value
        else:
            errors[name] = (
                "Use only letters, digits, spaces and . _ : @ | / { } - (an id or a route)."
            )
    if search.outcome:
        if search.outcome in dict(OUTCOMES):
            params["outcome"] = search.outcome
        else:
            errors["outcome"] = "Choose an outcome from the list."
    if search.service not in {"all", *(s.value for s in SERVICES)}:
        errors["service"] = "Choose a service from the list."
    since = day_start(search.since) if search.since else None
    until = day_start(search.until) if search.until else None
    if search.since and since is None:
        errors["since"] = "Enter a date, for example 2026-11-27."
    if search.until and until is None:
        errors["until"] = "Enter a date, for example 2026-11-27."
    if since and until and until < since:
        errors["until"] = "The end date must be on or after the start date."
    if since:
        params["since"] = since.isoformat()
    if until and until.date() < date.max:
        # The whole of the last day: the service's ``until`` is exclusive. The calendar's last
        # day has no day after it: a search until then has no end.
        params["until"] = (until + timedelta(days=1)).isoformat()
    return params, errors


def merged(pages: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Entries of several logs, newest first by the time each service stamped them."""
    entries = [entry for items in pages.values() for entry in items]
    return sorted(
        entries,
        key=lambda e: (datetime.fromisoformat(e["at"]), e["service"], e["seq"]),
        reverse=True,
    )


async def _search(
    services: Services, token: str, search: Search, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    offset = (search.page - 1) * PAGE_SIZE
    if search.service != "all":
        answer = await services.get(
            Service(search.service),
            "/audit",
            token,
            {**params, "newest_first": "true", "limit": PAGE_SIZE, "offset": offset},
        )
        return answer.body["items"], int(answer.body["total"])
    reach = min(offset + PAGE_SIZE, MERGED_REACH)
    pages: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for service in SERVICES:
        answer = await services.get(
            service, "/audit", token, {**params, "newest_first": "true", "limit": reach}
        )
        pages[service.value] = answer.body["items"]
        total += int(answer.body["total"])
    return merged(pages)[offset : offset + PAGE_SIZE], total


@router.get("", response_class=HTMLResponse)
async def search_audit(
    request: Request, session: Auditor, search: Annotated[Search, Query()]
) -> Response:
    params, errors = check(search)
    items: list[dict[str, Any]] = []
    total = 0
    message = None
    beyond_reach = search.service == "all" and (search.page - 1) * PAGE_SIZE >= MERGED_REACH
    if search.asked and not errors and not beyond_reach:
        try:
            items, total = await _search(
                request.app.state.services, session.access_token, search, params
            )
        except Refused as refused:
            errors, message = refused.fields, refused.message
    values = search.values()
    if errors:
        # What she typed in a field the service could not read is not shown back.
        values = {k: ("" if k in errors else v) for k, v in values.items()}
    last_page = page_count(total, PAGE_SIZE)
    if search.service == "all":
        last_page = min(last_page, MERGED_REACH // PAGE_SIZE)
    return await render(
        request,
        "audit/search.html",
        {
            "search": search,
            "values": values,
            "errors": errors,
            "message": message,
            "items": items,
            "total": total,
            "page": search.page,
            "last_page": last_page,
            "beyond_reach": beyond_reach,
            "service_options": [("all", "All three, merged by time")]
            + [(s.value, s.value.capitalize()) for s in SERVICES],
            "outcomes": OUTCOMES,
            "previous_link": search.link(search.page - 1) if search.page > 1 else None,
            "next_link": search.link(search.page + 1) if search.page < last_page else None,
        },
        status_code=422 if errors else 200,
        title="Audit log",
    )


@router.get("/verify", response_class=HTMLResponse)
async def verify(request: Request, session: Auditor) -> Response:
    services: Services = request.app.state.services
    checks = []
    for service in SERVICES:
        answer = await services.get(service, "/audit/verify", session.access_token)
        checks.append({"service": service.value, **answer.body})
    return await render(request, "audit/verify.html", {"checks": checks}, title="Audit chain")
