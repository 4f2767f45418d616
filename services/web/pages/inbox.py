"""Everyone's inbox, and the safeguarding lead's urgent-concern banner on every page.

Notifications carry no personal text: a rule's fixed sentence, a state and a link made of ids.
The link names a service path (``/journeys/{id}``, ``/visits/{id}``); it is turned into this
app's page for the same record, and anything else is not linked at all.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Answer, Command, Refused, Service
from services.web.pages.commands import form_version, send_command
from services.web.pages.ids import record_id
from services.web.pages.listing import page_count
from services.web.people import Person, local_path
from services.web.rendering import PAGE_EXTRAS, render
from services.web.sessions import Session
from shared.security.roles import Role

log = structlog.get_logger(__name__)
router = APIRouter()

PAGE_SIZE = 20
_CHANGED = (
    "This notification changed after your page was loaded: what happened since is marked "
    "in its history below. Check it, then try again."
)
_RELOAD = "The page was out of date. Check the notification below, then try again."
#: The banner lists this many of her unacknowledged urgent concerns; the inbox has the rest.
BANNER_LIMIT = 3
AWAITING = frozenset({"unread", "read"})

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PAGES = (
    (re.compile(rf"^/journeys/({_UUID})$"), "/journeys/{}", "Open the journey"),
    (re.compile(rf"^/visits/({_UUID})$"), "/visits/{}", "Open the visit"),
)

#: The inbox's tabs: (key, label, the inbox query).
FILTERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("unread", "Unread", {"state": "unread"}),
    ("awaiting", "Not yet acknowledged", {"awaiting_acknowledgement": "true"}),
    ("read", "Read", {"state": "read"}),
    ("acknowledged", "Acknowledged", {"state": "acknowledged"}),
    ("all", "All", {}),
)


def page_for(link: str | None) -> tuple[str, str] | None:
    """The web page for a notification's service link, and the words for it — or None for a
    link this app has no page for (it is then not shown: only ids ever reach a URL)."""
    for pattern, page, words in _PAGES:
        found = pattern.match(link or "")
        if found:
            return page.format(found.group(1).lower()), words
    return None


def page_number(value: str) -> int:
    # isascii too: isdigit also holds for superscripts, which int cannot read.
    if not (value.isascii() and value.isdigit()):
        return 1
    # Longer than the last page's number: the last page, without reading thousands of digits.
    return 10_000 if len(value) > 5 else max(1, min(int(value), 10_000))


def address_words(address: str | None) -> str:
    """``user:sg-1`` → "sg-1"; ``role:safeguarding_lead`` → "the safeguarding lead role"."""
    if not address:
        return "nobody"
    kind, _, name = address.partition(":")
    if kind == "role":
        return f"the {name.replace('_', ' ')} role"
    return name


def escalation(notification: Mapping[str, Any]) -> dict[str, Any]:
    """Who an urgent concern went to, and whether it went on to the deputy."""
    return {
        "sent_to": address_words(notification.get("recipient")),
        "escalated_to": (
            address_words(notification["escalated_to"])
            if notification.get("escalated_to")
            else None
        ),
        "escalate_at": notification.get("escalate_at"),
        "is_escalation": notification.get("rule") == "urgent_concern_escalated",
    }


def _entry(item: Mapping[str, Any]) -> dict[str, Any]:
    target = page_for(item.get("link"))
    return {
        **item,
        "page": target[0] if target else None,
        "page_words": target[1] if target else None,
    }


async def _notification(request: Request, session: Session, notification_id: UUID) -> Answer:
    answer: Answer = await request.app.state.services.get(
        Service.NOTIFICATIONS, f"/notifications/{notification_id}", session.access_token
    )
    return answer


# --- the urgent-concern banner ------------------------------------------------------------


async def urgent_banner(request: Request, session: Session) -> Mapping[str, Any]:
    """For a safeguarding lead: her urgent concerns not yet acknowledged (one list call, and
    one per concern shown for its escalation state). A notifications service that does not
    answer must not take every page down with it: she is told, calmly, to open the inbox."""
    if not session.has(Role.SAFEGUARDING_LEAD):
        return {}
    services = request.app.state.services
    try:
        page = await services.get(
            Service.NOTIFICATIONS,
            "/inbox",
            session.access_token,
            {"awaiting_acknowledgement": "true", "limit": BANNER_LIMIT},
        )
        total = int(page.body["total"])
        details = await asyncio.gather(
            *(
                _notification(request, session, UUID(str(item["notification_id"])))
                for item in page.body["items"]
            )
        )
    except Exception as error:  # noqa: BLE001 - any failure here gets the same calm notice
        log.warning("web.urgent_banner_unavailable", error=type(error).__name__)
        return {"urgent": {"failed": True}}
    # The list is a projection and may lag an acknowledgement by a moment; each notification
    # is read from its record, so one she has just acknowledged is gone at once.
    awaiting = [a for a in details if a.body.get("state") in AWAITING]
    concerns = [
        {**_entry(answer.body), "version": answer.version, **escalation(answer.body)}
        for answer in awaiting
    ]
    total = max(total - (len(details) - len(awaiting)), len(concerns))
    return {"urgent": {"failed": False, "total": total, "concerns": concerns}}


PAGE_EXTRAS.append(urgent_banner)


# --- the inbox ------------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request, session: Person, show: str = "unread", page: str = "1"
) -> Response:
    filters = {key: query for key, _, query in FILTERS}
    if show not in filters:
        show = "unread"
    number = page_number(page)
    answer = await request.app.state.services.get(
        Service.NOTIFICATIONS,
        "/inbox",
        session.access_token,
        {**filters[show], "limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE},
    )
    total = int(answer.body["total"])
    return await render(
        request,
        "inbox/list.html",
        {
            "show": show,
            "filters": FILTERS,
            "items": [_entry(item) for item in answer.body["items"]],
            "total": total,
            "page": number,
            "pages": page_count(total, PAGE_SIZE),
        },
        title="Inbox",
    )


@router.get("/inbox/{notification_id}", response_class=HTMLResponse)
async def notification(request: Request, session: Person, notification_id: str) -> Response:
    return await _notification_page(request, session, record_id(notification_id))


async def _notification_page(
    request: Request,
    session: Session,
    notification_id: UUID,
    *,
    problem: str | None = None,
    status_code: int = 200,
    seen_version: int | None = None,
) -> Response:
    answer = await _notification(request, session, notification_id)
    return await render(
        request,
        "inbox/notification.html",
        {
            "n": _entry(answer.body),
            "version": answer.version,
            "escalation": escalation(answer.body),
            "problem": problem,
            "seen_version": seen_version,
        },
        status_code=status_code,
        title="Notification",
    )


async def _act(
    request: Request,
    session: Session,
    notification_id: UUID,
    action: str,
    version: str,
    back: str,
) -> Response:
    if form_version(version) is None:
        return await _notification_page(
            request, session, notification_id, problem=_RELOAD, status_code=412
        )

    # 412: it changed since her page was drawn (read elsewhere, escalated): show it as it
    # is now, with what changed, and let her act on that.
    async def as_it_is_now(refused: Refused) -> Response:
        return await _notification_page(
            request,
            session,
            notification_id,
            problem=_CHANGED if refused.stale else refused.message,
            status_code=refused.status,
            seen_version=int(version),
        )

    command = Command(
        Service.NOTIFICATIONS, f"/notifications/{notification_id}/{action}", if_match=version
    )
    done = local_path(back, f"/inbox/{notification_id}")
    return await send_command(request, session, command, done=done, refused=as_it_is_now)


def _action_route(action: str) -> Callable[..., Awaitable[Response]]:
    async def act(
        request: Request,
        session: Person,
        notification_id: str,
        version: Annotated[str, Form()] = "",
        back: Annotated[str, Form()] = "",
    ) -> Response:
        return await _act(request, session, record_id(notification_id), action, version, back)

    return act


for _action in ("read", "acknowledgement"):
    router.add_api_route(
        f"/inbox/{{notification_id}}/{_action}", _action_route(_action), methods=["POST"]
    )
