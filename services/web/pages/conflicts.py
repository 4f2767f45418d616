"""What changed on her journey while a form was open: for the form pages' 412 answer.

A form page renders with ``loaded_at`` (``loaded_now()``) in a hidden field; when the cases
service answers 412 (the journey changed meanwhile) the page keeps her input and shows
``changes_since(...)`` with ``templates/_changed_meanwhile.html``. The change may be her own:
a form sent twice, or sent again after its answer was lost, meets its own first save, and
``all_yours`` lets the page say so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request

from services.web.api import NotFound, Service
from services.web.messages import ALREADY_SAVED, CHANGED_BY_OTHERS
from services.web.pages.timeline import entry_view
from services.web.sessions import Session

_PAGE = 200
#: Enough for any real journey; a bound so that one form never reads without end.
_MOST_PAGES = 20


def loaded_now() -> str:
    """The moment a form was rendered, for its hidden ``loaded_at`` field."""
    return datetime.now(UTC).isoformat()


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def changes_since(
    request: Request, session: Session, journey_id: UUID | str, loaded_at: datetime | str | None
) -> list[dict[str, Any]]:
    """The timeline entries recorded after ``loaded_at``, newest first, read fresh.

    Ordered by when they happened (as the timeline is), so a contact an offline app delivered
    late still shows among them. An unreadable ``loaded_at`` gives no entries rather than all.
    """
    since = _moment(loaded_at)
    if since is None:
        return []
    services = request.app.state.services
    changed: list[dict[str, Any]] = []
    for page in range(_MOST_PAGES):
        try:
            answer = await services.get(
                Service.CASES,
                f"/journeys/{UUID(str(journey_id))}/timeline",
                session.access_token,
                {"limit": _PAGE, "offset": page * _PAGE},
            )
        except NotFound:
            return changed
        body = answer.body or {}
        items = body.get("items") or []
        for item in items:
            recorded = _moment(item.get("recorded_at"))
            if recorded is not None and recorded > since:
                changed.append(entry_view(item))
        if (page + 1) * _PAGE >= int(body.get("total") or 0) or not items:
            break
    return changed


def all_yours(changes: list[dict[str, Any]], session: Session) -> bool:
    """Whether she recorded every change listed herself (most likely this very form, saved
    before), as the timeline's actor, her token's subject, says."""
    return bool(changes) and all(change.get("actor") == session.subject for change in changes)


def conflict_message(changes: list[dict[str, Any]], session: Session, otherwise: str) -> str:
    """The sentence for a 412: hers when she made every change listed, someone else's when she
    made none of them; ``otherwise`` (it may have been either) when they are mixed or unknown."""
    if all_yours(changes, session):
        return ALREADY_SAVED
    if changes and all(change.get("actor") != session.subject for change in changes):
        return CHANGED_BY_OTHERS
    return otherwise
