"""What a person sees when something goes wrong: a plain page, never a stack trace."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.web.api import NotAllowed, NotFound, ServiceDown, TokenRefused
from services.web.people import (
    CsrfRefused,
    RoleRefused,
    SignInNeeded,
    request_path,
    sign_in_url,
)
from services.web.rendering import render
from services.web.sessions import COOKIE
from shared.http.observability import route_template
from shared.http.problems import log_unexpected

log = structlog.get_logger(__name__)


async def _page(request: Request, kind: str, status: int, title: str, **extra: object) -> Response:
    # An error page keeps the menu and sign-out of whoever is signed in.
    if getattr(request.state, "session", None) is None:
        request.state.session = request.app.state.sessions.get(request.cookies.get(COOKIE))
    return await render(
        request, "error.html", {"kind": kind, **extra}, status_code=status, title=title
    )


def _redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        # htmx swaps content; a full navigation is what is wanted.
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def unexpected_error_page(request: Request) -> Response:
    """The page for a fault nobody expected: it says nothing of what went wrong."""
    return await _page(request, "other", 500, "Something went wrong")


def install_error_pages(app: FastAPI) -> None:
    async def on_sign_in_needed(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInNeeded)
        return _redirect(request, sign_in_url(error.next_path, error.kept_form))

    async def on_token_refused(request: Request, _: Exception) -> Response:
        # The services no longer accept her token: the session is over, she signs in again.
        request.app.state.sessions.end(request.cookies.get(COOKIE))
        return _redirect(request, sign_in_url(request_path(request)))

    async def on_csrf(request: Request, _: Exception) -> Response:
        log.info("web.csrf_refused", route=route_template(request.scope))
        return await _page(request, "csrf", 403, "Please try again")

    async def on_not_allowed(request: Request, _: Exception) -> Response:
        return await _page(request, "forbidden", 403, "Not available to you")

    async def on_not_found(request: Request, _: Exception) -> Response:
        return await _page(request, "not-found", 404, "Page not found")

    async def on_service_down(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceDown)
        log.warning("web.service_down", service=error.service.value)
        return await _page(request, "down", 503, "Not available just now")

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return await _page(request, "not-found", 404, "Page not found")
        return await _page(request, "other", error.status_code, "Something went wrong")

    async def on_invalid(request: Request, error: Exception) -> Response:
        # FastAPI's own answer repeats the input; a person gets a plain page instead.
        assert isinstance(error, RequestValidationError)
        if any(part[0] == "path" for part in (e["loc"] for e in error.errors()) if part):
            return await _page(request, "not-found", 404, "Page not found")
        return await _page(request, "bad-request", 400, "Please try again")

    async def on_unexpected(request: Request, error: Exception) -> Response:
        # Only reached from outside the middlewares (UnexpectedErrors answers from inside).
        log_unexpected(request.scope, error)
        return await unexpected_error_page(request)

    app.add_exception_handler(SignInNeeded, on_sign_in_needed)
    app.add_exception_handler(TokenRefused, on_token_refused)
    app.add_exception_handler(CsrfRefused, on_csrf)
    app.add_exception_handler(RoleRefused, on_not_allowed)
    app.add_exception_handler(NotAllowed, on_not_allowed)
    app.add_exception_handler(NotFound, on_not_found)
    app.add_exception_handler(ServiceDown, on_service_down)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_unexpected)
