"""Pages are rendered here: the layout's navigation by role, and what every page shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.web.sessions import Session
from shared.security.roles import Role

TEMPLATES = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES))


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]


NAV = (
    NavItem("Caseload", "/caseload", frozenset({Role.CASEWORKER, Role.SAFEGUARDING_LEAD})),
    NavItem("New journeys", "/intake", frozenset({Role.CASEWORKER, Role.SAFEGUARDING_LEAD})),
    NavItem("Due", "/due", frozenset({Role.CASEWORKER, Role.SAFEGUARDING_LEAD})),
    NavItem("Referrals", "/referrals", frozenset({Role.CASEWORKER, Role.SAFEGUARDING_LEAD})),
    NavItem("Premises", "/premises", frozenset({Role.SAFEGUARDING_LEAD, Role.OUTREACH})),
    NavItem("Outreach", "/outreach/", frozenset({Role.OUTREACH})),
    NavItem("Statistics", "/statistics", frozenset({Role.MANAGER})),
    NavItem("Admin", "/admin", frozenset({Role.ADMIN})),
    NavItem("Audit", "/audit", frozenset({Role.AUDITOR})),
    NavItem("Inbox", "/inbox", frozenset(Role)),
)

# Async functions adding to every signed-in page's context (e.g. the urgent-concern banner).
PageExtra = Callable[[Request, Session], Awaitable[Mapping[str, Any]]]
PAGE_EXTRAS: list[PageExtra] = []


def nav_for(roles: frozenset[Role]) -> list[NavItem]:
    return [item for item in NAV if not roles.isdisjoint(item.roles)]


def when(value: Any, with_time: bool = True) -> str:
    """A date as people in the UK read it: 27 Nov 2026, 20:00 (UTC stored, UTC shown)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return "unknown date"
    if not isinstance(value, datetime):
        return str(value)
    return value.strftime("%-d %b %Y, %H:%M" if with_time else "%-d %b %Y")


def words(code: Any) -> str:
    """A reference-data code as words: ``held_against_will`` → "held against will"."""
    return str(code or "").replace("_", " ")


templates.env.filters["when"] = when
templates.env.filters["words"] = words


async def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    title: str,
) -> HTMLResponse:
    """``title`` names the screen, never a woman: it is shown in tabs and history."""
    session: Session | None = getattr(request.state, "session", None)
    values: dict[str, Any] = {
        "title": title,
        "session": session,
        "nav": nav_for(session.roles) if session else [],
        "csrf_token": session.csrf_token if session else "",
        "current_path": request.url.path,
    }
    if session is not None:
        for extra in PAGE_EXTRAS:
            values.update(await extra(request, session))
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
