"""The signed-in person of a request, and the CSRF check on everything that changes state."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from services.web.sessions import COOKIE, Session, SessionStore
from shared.security.roles import Role

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """No live session: sign in, then come back to ``next_path`` (with any kept form)."""

    def __init__(self, next_path: str, kept_form: str | None = None) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.kept_form = kept_form


class CsrfRefused(Exception):
    """A state-changing request without this session's CSRF token or from another origin."""


class RoleRefused(Exception):
    """The page is not for her roles."""


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def request_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def same_token(sent: str, expected: str) -> bool:
    """Whether a token as sent is the session's, compared in constant time. As bytes: compared
    as text, one non-ASCII character (which a header or a form can carry) raises TypeError."""
    return secrets.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


async def _csrf_token_of(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        # Browsers send Origin on every cross-site POST; its absence is a same-site form or a
        # non-browser client, which the CSRF token still has to pass.
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


async def current_session(request: Request) -> Session:
    store: SessionStore = request.app.state.sessions
    session_id = request.cookies.get(COOKIE)
    session = store.get(session_id)
    unsafe = request.method in UNSAFE
    if unsafe and not same_origin(request):
        raise CsrfRefused
    if session is None:
        ended = store.ended(session_id)
        if unsafe and ended is not None:
            subject, csrf = ended
            if same_token(await _csrf_token_of(request), csrf):
                form = await request.form()
                fields = [
                    (name, value)
                    for name, value in form.multi_items()
                    if name != CSRF_FIELD and isinstance(value, str)
                ]
                key = store.keep_form(subject, request.url.path, fields)
                raise SignInNeeded(request.url.path, key)
        raise SignInNeeded(request.url.path if unsafe else request_path(request))
    if unsafe and not same_token(await _csrf_token_of(request), session.csrf_token):
        raise CsrfRefused
    request.state.session = session
    return session


Person = Annotated[Session, Depends(current_session)]


def needs(*roles: Role) -> object:
    """A dependency: the page is for these roles only."""

    async def check(session: Person) -> Session:
        if not session.has(*roles):
            raise RoleRefused
        return session

    return Depends(check)


def sign_in_url(next_path: str, kept_form: str | None = None) -> str:
    url = "/sign-in?next=" + quote(local_path(next_path), safe="/")
    return url + (f"&kept={quote(kept_form)}" if kept_form else "")
