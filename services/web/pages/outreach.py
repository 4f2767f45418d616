"""The outreach app (``/outreach/``): a progressive web app for recording a visit on a phone,
with or without signal.

The page is an app shell with no personal data, so the service worker may cache it; the
app's scripts talk only to the JSON endpoints below (same origin, session cookie plus the
``X-CSRF-Token`` header), which forward to the visits service with the session's own token.
The tokens never reach the phone. An ended session answers 401 JSON, never a redirect, so the
app keeps its outbox and asks her to sign in again; a refusal of the visits service is passed
on as problem+json with one plain sentence for the visit and one per field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.web.api import Answer, Service, ServiceDown, refused
from services.web.people import CSRF_HEADER, UNSAFE, Person, needs, same_origin, same_token
from services.web.rendering import render
from services.web.sessions import COOKIE, Session, SessionStore
from shared.contracts.base import IDENTIFIER, STAFF_ID
from shared.security.roles import Role

router = APIRouter()

APP = Path(__file__).resolve().parents[1] / "static" / "outreach"
TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "outreach" / "shell.html"
RECORDERS = (Role.OUTREACH, Role.SAFEGUARDING_LEAD)
PROBLEM = "application/problem+json"
# A whole visit at its largest (30 contacts, 150 indicators) is well under this.
MAX_BODY_BYTES = 512 * 1024
PREMISES_PAGE = 1000
PREMISES_PAGES = 20
# Reference lists the app offers; nothing else of the reference data goes to the phone.
REFERENCE_LISTS = (
    "languages",
    "materials",
    "person_indicators",
    "premises_indicators",
    "concerns",
    "follow_up_kinds",
    "visit_outcomes",
)
STEPS = frozenset(
    {
        "contacts",
        "premises-indicators",
        "person-indicators",
        "follow-ups",
        "urgent-concerns",
        "completion",
    }
)

# What the service worker keeps: the shell and its assets (no personal data in any of them).
SHELL_ASSETS = (
    "/outreach/",
    "/outreach/manifest.webmanifest",
    "/static/vendor/govuk-frontend-6.6.0.min.css",
    "/static/css/waymark.css",
    "/static/js/waymark.js",
    "/static/vendor/htmx-2.0.11.min.js",
    "/static/outreach/app.js",
    "/static/outreach/outbox.js",
    "/static/outreach/store.js",
    "/static/outreach/keys.js",
    "/static/outreach/icon-192.png",
)


class ApiProblem(Exception):
    def __init__(self, status: int, slug: str, message: str) -> None:
        super().__init__(slug)
        self.status = status
        self.slug = slug
        self.message = message

    def response(self) -> JSONResponse:
        return problem(self.status, self.slug, self.message)


def problem(status: int, slug: str, message: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"urn:waymark:web:{slug}",
        "title": message,
        "status": status,
        "message": message,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


async def api_session(request: Request) -> Session:
    """The live session of an app request, or a JSON problem (never a redirect): the app keeps
    its outbox and asks her to sign in again."""
    unsafe = request.method in UNSAFE
    if unsafe and not same_origin(request):
        raise ApiProblem(403, "csrf", "This request did not come from the app.")
    store: SessionStore = request.app.state.sessions
    session = store.get(request.cookies.get(COOKIE))
    if session is None:
        raise ApiProblem(401, "signed-out", "Sign in again to send what is on this phone.")
    if unsafe and not same_token(request.headers.get(CSRF_HEADER, ""), session.csrf_token):
        raise ApiProblem(403, "csrf", "The app's sign-in token is out of date: try again.")
    if not session.has(*RECORDERS):
        raise ApiProblem(403, "forbidden", "Recording visits is not part of your role.")
    request.state.session = session
    return session


async def _guarded(request: Request, call: Callable[[Session], Awaitable[Response]]) -> Response:
    try:
        return await call(await api_session(request))
    except ApiProblem as error:
        return error.response()
    except ServiceDown as down:
        # The service's own wait (its store is out of reach), passed on for the outbox to keep.
        answer = problem(503, "down", "Waymark is not available just now: it will be tried again.")
        answer.headers["Retry-After"] = str(down.retry_after_s)
        return answer


def _passed_on(request: Request, answer: Answer) -> Response:
    """A visits answer for the app: the ids and version it needs, or the refusal in words."""
    if answer.status == 401:
        request.app.state.sessions.end(request.cookies.get(COOKIE))
        return problem(401, "signed-out", "Sign in again to send what is on this phone.")
    if answer.status >= 400:
        body = answer.body if isinstance(answer.body, dict) else {}
        words = refused(answer.status, body)
        return problem(
            answer.status,
            words.slug or "refused",
            words.message,
            fields=words.fields,
            errors=[e for e in body.get("errors", []) or [] if isinstance(e, dict)],
        )
    visit = answer.body if isinstance(answer.body, dict) else {}
    response = JSONResponse(
        {
            "visit_id": visit.get("visit_id"),
            "version": visit.get("version"),
            "replayed": answer.headers.get("idempotent-replayed") == "true",
        },
        status_code=answer.status,
    )
    if answer.etag:
        response.headers["ETag"] = answer.etag
    return response


async def _json_body(request: Request) -> bytes:
    """The app's JSON body, to pass on as it came: what it says (a lone surrogate, a NaN) is
    the visits service's to judge, field by field, as for any client; re-encoded here it could
    not be sent at all."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiProblem(413, "too-large", "That is more than can be sent at once.")
    try:
        json.loads(raw)
    except (ValueError, RecursionError) as error:  # not JSON; nested past the parser's reach
        raise ApiProblem(
            400, "not-json", "The app sent something that could not be read."
        ) from error
    return raw


def _passed_through(request: Request, name: str) -> dict[str, str | bytes]:
    """One of the app's headers, byte for byte (Starlette reads them as Latin-1): sent on as
    text, one that is not ASCII could not be sent."""
    value = request.headers.get(name)
    return {name: value.encode("latin-1")} if value else {}


# --- the app's files ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shell_version() -> str:
    """Changes whenever any file of the shell does, so the service worker refreshes its cache."""
    digest = hashlib.sha256()
    static = APP.parent
    for path in sorted(APP.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    for name in ("css/waymark.css", "js/waymark.js"):
        digest.update((static / name).read_bytes())
    digest.update(TEMPLATE.read_bytes())
    digest.update(f"{IDENTIFIER} {STAFF_ID}".encode())  # the shell carries both
    return digest.hexdigest()[:16]


@router.get("/outreach", include_in_schema=False)
async def outreach_root() -> Response:
    return RedirectResponse("/outreach/", status_code=308)


@router.get("/outreach/", include_in_schema=False)
async def shell(request: Request, session: Person, _: object = needs(*RECORDERS)) -> Response:
    # No session-bound values in the page (no CSRF token, no staff id, no menu): it is cached
    # by the service worker and opened offline. The app asks /outreach/api/session for those.
    phone = request.app.state.settings.safeguarding_phone
    return await render(
        request,
        "outreach/shell.html",
        {
            "session": None,
            "nav": [],
            "csrf_token": "",
            "safeguarding_phone": phone,
            "team_pattern": IDENTIFIER,
            "staff_id_pattern": STAFF_ID,
        },
        title="Outreach",
    )


@router.get("/outreach/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    script = (APP / "sw.js").read_text()
    script = script.replace("__VERSION__", shell_version()).replace(
        "__ASSETS__", json.dumps(list(SHELL_ASSETS))
    )
    return Response(
        script,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/outreach/"},
    )


@router.get("/outreach/manifest.webmanifest", include_in_schema=False)
async def manifest() -> Response:
    return Response(
        (APP / "manifest.webmanifest").read_bytes(), media_type="application/manifest+json"
    )


# --- the app's JSON endpoints ---------------------------------------------------------------


@router.get("/outreach/api/session", include_in_schema=False)
async def app_session(request: Request) -> Response:
    async def answer(session: Session) -> Response:
        # Her staff id and team fill the visit form; the CSRF token is this session's, so an
        # outbox sent after signing in again uses the new one.
        return JSONResponse(
            {
                "subject": session.subject,
                "team": session.team,
                "csrf_token": session.csrf_token,
            }
        )

    return await _guarded(request, answer)


@router.get("/outreach/api/reference", include_in_schema=False)
async def reference(request: Request) -> Response:
    async def answer(session: Session) -> Response:
        got = await request.app.state.services.forward(
            Service.VISITS, "GET", "/reference", session.access_token
        )
        if got.status != 200 or not isinstance(got.body, dict):
            return _passed_on(request, got)
        return JSONResponse({name: got.body.get(name) for name in REFERENCE_LISTS})

    return await _guarded(request, answer)


@router.get("/outreach/api/premises", include_in_schema=False)
async def premises(request: Request) -> Response:
    """The whole directory of pseudonymous labels, for searching offline."""

    async def answer(session: Session) -> Response:
        items: list[dict[str, Any]] = []
        for page in range(PREMISES_PAGES):
            got = await request.app.state.services.forward(
                Service.VISITS,
                "GET",
                "/premises",
                session.access_token,
                params={"limit": PREMISES_PAGE, "offset": page * PREMISES_PAGE},
            )
            if got.status != 200 or not isinstance(got.body, dict):
                return _passed_on(request, got)
            batch = got.body.get("items") or []
            items += [
                {"premises_id": p["premises_id"], "label": p["label"], "area": p.get("area")}
                for p in batch
            ]
            if len(items) >= int(got.body.get("total", 0)) or not batch:
                break
        return JSONResponse({"items": items})

    return await _guarded(request, answer)


@router.post("/outreach/api/visits", include_in_schema=False)
async def record_visit(request: Request) -> Response:
    """A whole visit (or an open one), with its Idempotency-Key: a retry after a lost answer
    gets the visit that was recorded, never a second one."""

    async def answer(session: Session) -> Response:
        got = await request.app.state.services.forward(
            Service.VISITS,
            "POST",
            "/visits",
            session.access_token,
            content=await _json_body(request),
            headers=_passed_through(request, "Idempotency-Key"),
        )
        return _passed_on(request, got)

    return await _guarded(request, answer)


@router.post("/outreach/api/visits/{visit_id}/{step}", include_in_schema=False)
async def record_step(request: Request, visit_id: str, step: str) -> Response:
    """One step of an open visit, named by the app's own ids, so a retry is recognised."""

    async def answer(session: Session) -> Response:
        try:
            visit = UUID(visit_id)
        except ValueError:
            visit = None
        if visit is None or step not in STEPS:
            raise ApiProblem(404, "not-found", "There is no such step of a visit.")
        got = await request.app.state.services.forward(
            Service.VISITS,
            "POST",
            f"/visits/{visit}/{step}",
            session.access_token,
            content=await _json_body(request),
            headers=_passed_through(request, "If-Match"),
        )
        return _passed_on(request, got)

    return await _guarded(request, answer)
