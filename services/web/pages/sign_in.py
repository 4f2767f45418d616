"""Signing in and out: OpenID Connect in production, a development form in the embedded run."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.web.identity import DevelopmentSignIn, OpenIdConnect, PendingSignIn, SignedIn
from services.web.people import Person, local_path, same_token
from services.web.rendering import nav_for, render
from services.web.sessions import COOKIE, SessionStore
from shared.security.roles import Role
from shared.security.tokens import InvalidToken

router = APIRouter()
SIGN_IN_COOKIE = "waymark_sign_in"
PENDING_SECONDS = 10 * 60
ROLE_OPTIONS = [(role.value, role.value.replace("_", " ").capitalize()) for role in Role]
_SUBJECT_HELP = "An opaque staff id such as cw-1, never a name"


def _pending(request: Request) -> dict[str, tuple[float, str, PendingSignIn]]:
    """Sign-ins under way, by OIDC state: (until, the browser's binding cookie, pending)."""
    pending: dict[str, tuple[float, str, PendingSignIn]] = request.app.state.pending_sign_ins
    now = time.time()
    for key in [k for k, (until, _, _) in pending.items() if until < now]:
        del pending[key]
    return pending


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        path="/",
    )


def _start_session(
    request: Request, signed_in: SignedIn, next_path: str, kept: str | None
) -> Response:
    store: SessionStore = request.app.state.sessions
    store.end(request.cookies.get(COOKIE))  # a new id at every sign-in: no fixation
    principal = signed_in.principal
    session = store.create(
        subject=principal.subject,
        roles=principal.roles,
        team=principal.team,
        access_token=signed_in.access_token,
        token_expires_at=signed_in.expires_at,
        id_token=signed_in.id_token,
    )
    target = local_path(next_path)
    if target == "/":
        target = home_for(session.roles)
    if kept:
        target += ("&" if "?" in target else "?") + "kept=" + kept
    response = RedirectResponse(target, status_code=303)
    settings = request.app.state.settings
    _cookie(response, request, COOKIE, session.id, int(settings.session_absolute_hours * 3600))
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


def home_for(roles: frozenset[Role]) -> str:
    items = nav_for(roles)
    return items[0].href if items else "/inbox"


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, next: str = "/", kept: str | None = None) -> Response:
    next_path = local_path(next)
    oidc: OpenIdConnect | None = request.app.state.oidc
    if oidc is not None:
        url, pending = await oidc.begin(next_path, kept)
        binding = secrets.token_urlsafe(24)
        _pending(request)[pending.state] = (time.time() + PENDING_SECONDS, binding, pending)
        redirect = RedirectResponse(url, status_code=303)
        _cookie(redirect, request, SIGN_IN_COOKIE, binding, PENDING_SECONDS)
        return redirect
    token = secrets.token_urlsafe(24)
    response = await render(
        request,
        "sign_in_dev.html",
        {
            "next": next_path,
            "kept": kept or "",
            "form_token": token,
            "role_options": ROLE_OPTIONS,
            "subject_help": _SUBJECT_HELP,
            "errors": {},
            "values": {},
        },
        title="Sign in",
    )
    _cookie(response, request, SIGN_IN_COOKIE, token, PENDING_SECONDS)
    return response


@router.post("/sign-in/development", response_class=HTMLResponse)
async def sign_in_development(
    request: Request,
    form_token: Annotated[str, Form()] = "",
    role: Annotated[list[str] | None, Form()] = None,
    subject: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    kept: Annotated[str, Form()] = "",
) -> Response:
    development: DevelopmentSignIn | None = request.app.state.development_sign_in
    if development is None:
        return await render(
            request, "error.html", {"kind": "not-found"}, status_code=404, title="Page not found"
        )
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    if not cookie or not same_token(form_token, cookie):
        return RedirectResponse("/sign-in?next=" + local_path(next), status_code=303)
    chosen = [Role(value) for value in role or [] if value in Role._value2member_map_]
    errors: dict[str, str] = {}
    if not chosen:
        errors["role"] = "Choose at least one role."
    signed_in: SignedIn | None = None
    if not errors:
        try:
            signed_in = development.sign_in(chosen, subject.strip(), team.strip() or None)
        except InvalidToken:
            errors["subject"] = "Enter an id of letters, digits, dots, dashes or underscores."
    if signed_in is None:
        return await render(
            request,
            "sign_in_dev.html",
            {
                "next": local_path(next),
                "kept": kept,
                "form_token": form_token,
                "role_options": ROLE_OPTIONS,
                "subject_help": _SUBJECT_HELP,
                "errors": errors,
                "values": {"role": [r.value for r in chosen], "subject": "", "team": team},
            },
            status_code=422,
            title="Sign in",
        )
    return _start_session(request, signed_in, next, kept or None)


async def _did_not_complete(request: Request) -> Response:
    return await render(
        request,
        "error.html",
        {"kind": "sign-in"},
        status_code=400,
        title="Sign-in did not complete",
    )


@router.get("/auth/callback")
async def callback(request: Request, state: str = "", code: str = "") -> Response:
    oidc: OpenIdConnect | None = request.app.state.oidc
    entry = _pending(request).pop(state, None) if state else None
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    if oidc is None or entry is None or not code or not same_token(cookie, entry[1]):
        return await _did_not_complete(request)
    pending = entry[2]
    try:
        signed_in = await oidc.finish(code, pending)
    except Exception:  # noqa: BLE001 - any failure of the provider's answer is one outcome
        return await _did_not_complete(request)
    return _start_session(request, signed_in, pending.next_path, pending.kept_form)


@router.post("/sign-out")
async def sign_out(request: Request, session: Person) -> Response:
    request.app.state.sessions.end(session.id)
    target = "/signed-out"
    oidc: OpenIdConnect | None = request.app.state.oidc
    if oidc is not None:
        target = await oidc.sign_out_url(session.id_token) or target
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    # The outreach app's outbox, its caches and its service worker go too.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    response = await render(request, "signed_out.html", {"wipe": True}, title="Signed out")
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@router.get("/")
async def home(session: Person) -> Response:
    return RedirectResponse(home_for(session.roles), status_code=303)
