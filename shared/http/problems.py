"""RFC 9457 problem+json for every error a service returns.

Validation errors name the field and the reason, never echo the input (it may be an alias), not
even one character of a malformed id. A database that cannot be reached (after the event store
library's own retries) is a 503 with ``Retry-After``: it is no fault of the request, and trying
again will do. Unexpected exceptions become a bare 500 with no detail — the log has the error
type and the route; the client never sees a stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import FieldError, VersionMismatch
from shared.http.middleware import HttpMiddleware
from shared.http.observability import route_template
from shared.observability.request_ids import current_request_id
from shared.storage.keyring import SubjectErasedError

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"

#: How long a client is asked to wait when the database cannot be reached.
STORE_RETRY_AFTER_S = 5


class FieldProblem(BaseModel):
    field: str = Field(description="Where the problem is, e.g. body.contacts.0.language")
    reason: str = Field(description="Why it was refused; never quotes the value sent")


class ProblemDocument(BaseModel):
    """The body of every error answer (RFC 9457), as the OpenAPI documents it."""

    type: str = Field(description="urn:waymark:problem:<slug>, stable for clients to branch on")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = Field(
        default=None, description="One entry per invalid field (422 only)"
    )
    request_id: str | None = Field(
        default=None,
        description="The request's id, as in its X-Request-Id header: quote it when reporting",
    )


@dataclass(frozen=True)
class ProblemSpec:
    status: int
    slug: str
    title: str


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        errors: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = list(errors)


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": f"urn:waymark:problem:{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = list(errors)
    if request_id := current_request_id():
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


# The shape of every field name in a request schema (snake_case).
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")

# Reasons for errors whose message would quote the input (``found `x` at 3``).
_FIXED_REASONS = {
    "uuid_parsing": "must be a UUID",
    "uuid_type": "must be a UUID",
    "uuid_version": "must be a UUID",
    "datetime_parsing": "must be an ISO 8601 date and time",
    "datetime_from_date_parsing": "must be an ISO 8601 date and time",
    "date_parsing": "must be an ISO 8601 date",
    "date_from_datetime_parsing": "must be an ISO 8601 date",
    "time_parsing": "must be an ISO 8601 time",
    "time_delta_parsing": "must be an ISO 8601 duration",
    "json_invalid": "is not valid JSON",
    "union_tag_invalid": "names a kind that does not exist",
    "extra_forbidden": "holds a field this request does not have",
}


def validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Field and reason of each error, with nothing of what was sent.

    Pydantic's messages are templates over the schema (a pattern, a length, the allowed values)
    except where a parser's own error is spliced in, which may quote the input: those get a
    fixed reason. Our own validators' messages are fixed texts. An unknown key is named only
    when it has the shape of a field name (``notes``); any other is input, and the error is on
    the object that holds it."""
    rendered = []
    for error in errors:
        kind, loc = str(error.get("type", "")), list(error.get("loc", ()))
        context = error.get("ctx") or {}
        if kind == "extra_forbidden" and not _FIELD_NAME.fullmatch(str(loc[-1] if loc else "")):
            loc = loc[:-1]
        if kind in _FIXED_REASONS:
            reason = _FIXED_REASONS[kind]
        elif kind in ("value_error", "assertion_error"):
            reason = str(error["msg"])
        elif "error" in context or "tag" in context:
            reason = "is not valid"
        else:
            reason = str(error["msg"])
        rendered.append({"field": _field(loc) or "body", "reason": reason})
    return rendered


def kebab(name: str) -> str:
    """``ReferralAlreadyDeclined`` → ``referral-already-declined``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problems_below(
    roots: Sequence[type[Exception]], statuses: Mapping[type[Exception], int]
) -> dict[type[Exception], ProblemSpec]:
    """A problem for each error class below ``roots`` that documents itself, read from the
    class: its status that of its nearest class in ``statuses`` (along its MRO), its type its
    name in kebab case, its title the first line of its docstring. An undocumented subclass is
    answered as its base (its handler is found along the MRO)."""
    found: dict[type[Exception], ProblemSpec] = {}
    below = [sub for root in roots for sub in root.__subclasses__()]
    while below:
        error = below.pop(0)
        below += error.__subclasses__()
        doc = error.__dict__.get("__doc__")
        if not doc:
            continue
        status = next(statuses[c] for c in error.__mro__ if c in statuses)
        title = doc.strip().splitlines()[0].rstrip(".")
        found[error] = ProblemSpec(status, kebab(error.__name__), title)
    return found


#: Errors of the shared domain vocabulary, answered alike by every service.
SHARED_ERRORS: dict[type[Exception], ProblemSpec] = {
    VersionMismatch: ProblemSpec(
        412, "precondition-failed", "The record has changed since you read it"
    ),
    # Her key was destroyed (erasure), perhaps between a command's checks and its save: nothing
    # personal can be written about her again. A service may name it in its own words.
    SubjectErasedError: ProblemSpec(
        409, "subject-erased", "This person's data was erased; nothing more is recorded for her"
    ),
}


def install_problem_handlers(
    app: FastAPI, domain_errors: Mapping[type[Exception], ProblemSpec]
) -> None:
    async def on_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = validation_errors(error.errors())
        return problem_response(422, "validation", "The request is not valid", errors=errors)

    async def on_field_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, FieldError)
        return problem_response(
            422,
            "validation",
            "The request is not valid",
            errors=[{"field": error.field, "reason": error.reason}],
        )

    async def on_problem(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return problem_response(error.status, error.slug, error.title, error.detail, error.errors)

    async def on_http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "Error")
        return problem_response(
            error.status_code, f"http-{error.status_code}", title, headers=error.headers
        )

    async def on_conflict(_: Request, __: Exception) -> JSONResponse:
        # Other writers won every try the application made (WaymarkApplication.change): the
        # loser is told, and nothing of its command was recorded.
        return problem_response(
            409,
            "concurrent-modification",
            "The record was changed by someone else at the same time",
            "Reload it and try again.",
        )

    async def on_store_unavailable(request: Request, error: Exception) -> JSONResponse:
        # The store is down, unreachable, locked too long, or its connection broke. Sending
        # the same request again is safe: a failed transaction does not commit, and one whose
        # commit went through unheard is found again by the ids the request carries. Logged by
        # kind and route only: not a 500, which reads as a bug.
        log.warning(
            "http.store_unavailable",
            route=route_template(request.scope),
            error=type(error).__name__,
        )
        return problem_response(
            503,
            "store-unavailable",
            "The records cannot be reached just now",
            "Try again shortly.",
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
        )

    def domain_handler(spec: ProblemSpec) -> Any:
        async def on_domain(_: Request, error: Exception) -> JSONResponse:
            return problem_response(spec.status, spec.slug, spec.title, str(error) or None)

        return on_domain

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        # Only reached from outside the middlewares (UnexpectedErrors answers from inside).
        log_unexpected(request.scope, error)
        return internal_error()

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(FieldError, on_field_error)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_conflict)
    app.add_exception_handler(OperationalError, on_store_unavailable)
    app.add_exception_handler(InterfaceError, on_store_unavailable)
    for error_class, spec in {**SHARED_ERRORS, **domain_errors}.items():
        app.add_exception_handler(error_class, domain_handler(spec))
    app.add_exception_handler(Exception, on_unexpected)


def log_unexpected(scope: Scope, error: Exception) -> None:
    """One line for a fault nobody expected: the route's template (a path may name a record)
    and the exception's type only (its text may quote the request)."""
    log.error("http.unexpected_error", route=route_template(scope), error=type(error).__name__)


def internal_error() -> JSONResponse:
    return problem_response(500, "internal", "Something went wrong on our side")


async def _internal_problem(_: Request) -> Response:
    return internal_error()


class UnexpectedErrors(HttpMiddleware):
    """Turn an exception a route did not expect into a bare 500 (a problem, or the ``answer``
    given: the web app's plain page), *inside* the access and header middlewares, so that
    answer is audited and carries the security headers like any other. (Starlette's own
    last-resort handler sits outside every middleware.)"""

    def __init__(
        self, app: ASGIApp, answer: Callable[[Request], Awaitable[Response]] = _internal_problem
    ) -> None:
        super().__init__(app)
        self._answer = answer

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:  # half an answer is out: nothing better to do than drop it
                raise
            log_unexpected(scope, error)
            answer = await self._answer(Request(scope, receive))
            await answer(scope, receive, send)
