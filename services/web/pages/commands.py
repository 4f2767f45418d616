"""A form that changes a record: its command sent to a service, then Post/Redirect/Get.

Every state-changing form here ends the same way. Its command goes to the service with her own
token, with ``If-Match`` (the version the page was drawn from) where the record has one and an
``Idempotency-Key`` where a repeated send must name the same request. Done, the browser is sent
on with 303 See Other, so a reload never sends it twice. Refused, the service's problem+json,
already one plain sentence and one per field (``api.Refused``), goes back to the page that drew
the form, which shows it beside her answers as she typed them. So does a service that could not
be reached: she may have typed long notes, and a page that only said "not available" would
lose them (503, and sending the form again is safe: the same ids, the same ``If-Match``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.web.api import Command, Refused, ServiceDown
from services.web.messages import problem_message
from services.web.sessions import Session

log = structlog.get_logger(__name__)

#: Draws the form again with the service's refusal beside her answers.
RefusedPage = Callable[[Refused], Awaitable[Response]]


async def send_command(
    request: Request, session: Session, command: Command, *, done: str, refused: RefusedPage
) -> Response:
    """On to ``done`` once the service has it; the form again with ``refused`` if not."""
    try:
        await request.app.state.services.send(command, session.access_token)
    except Refused as refusal:
        return await refused(refusal)
    except ServiceDown as down:
        log.warning("web.service_down", service=down.service.value, sending=True)
        slug = "service-unavailable"
        return await refused(Refused(503, slug, problem_message(503, slug, None)))
    return RedirectResponse(done, status_code=303)


def form_version(raw: str) -> str | None:
    """The record version a form carries for ``If-Match``, or None if it cannot be one."""
    # isascii too: isdigit also holds for superscripts and other scripts' digits.
    return raw if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def kept_answers(request: Request, session: Session) -> dict[str, Any] | None:
    """Her answers to this page's form, kept when her session ended as she sent them: once."""
    kept: dict[str, Any] | None = request.app.state.sessions.take_form(
        request.query_params.get("kept"), session.subject, request.url.path
    )
    return kept
