"""RFC 9457 problem+json for every error a service returns.

Validation errors name the field and the reason, never echo the input (it may be an alias).
Unexpected exceptions become a bare 500 with no detail — the log has the error type and the
request id; the client never sees a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import FieldError

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


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
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(
    app: FastAPI, domain_errors: Mapping[type[Exception], ProblemSpec]
) -> None:
    async def on_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [{"field": _field(e["loc"]), "reason": e["msg"]} for e in error.errors()]
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
        # Two writers raced on the same aggregate version: the loser is told, never merged.
        return problem_response(
            409,
            "concurrent-modification",
            "The record was changed by someone else at the same time",
            "Reload it and try again.",
        )

    def domain_handler(spec: ProblemSpec) -> Any:
        async def on_domain(_: Request, error: Exception) -> JSONResponse:
            return problem_response(spec.status, spec.slug, spec.title, str(error) or None)

        return on_domain

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("http.unexpected_error", path=request.url.path, error=type(error).__name__)
        return problem_response(500, "internal", "Something went wrong on our side")

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(FieldError, on_field_error)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_conflict)
    for error_class, spec in domain_errors.items():
        app.add_exception_handler(error_class, domain_handler(spec))
    app.add_exception_handler(Exception, on_unexpected)
