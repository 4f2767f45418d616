"""What each service's OpenAPI document says beyond its routes: how to authenticate, and the
problem+json answers every route can give.

Every route but the health checks needs a bearer token (``shared/http/access.py``), so the
document declares one HTTP bearer (JWT) scheme for all operations and ``security: []`` on the
public ones; Swagger UI then shows an Authorize button. The error statuses are derived from the
layers a request passes through rather than listed per route:

- every authenticated route: 401 (no valid token), 403 (role), 404 (no such record, or a path
  without a rule), 413 (body too large), 415 (body not JSON), 422 (invalid field), and 503 (the
  audit entry could not be written, so the answer is withheld; or the database could not be
  reached);
- a route that changes something (any method but GET) or takes a body: 409 (a rule of the
  record refuses it, the client's id is taken by other content, or other writers changed the
  record at every try the service made);
- a route with an ``If-Match`` header: 412 (stale version).

Each of them is documented as ``application/problem+json`` with the ``Problem`` schema, keeping
the route's own description where it gave one.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.http.problems import PROBLEM_JSON, ProblemDocument

SECURITY_SCHEME = "bearer"
PUBLIC_OPERATIONS = frozenset({"/healthz", "/readyz"})
AUTHENTICATED = {
    401: "No valid bearer token",
    403: "Your roles do not allow this",
    404: "No such record (or not one you may see)",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "A field is invalid or not a known code (GET /reference); the problem names it",
    503: "The audit log could not be written, so the answer is withheld, or the records could"
    " not be reached: try again shortly",
}
CHANGING = {
    409: "Refused by a rule of the record, the id is already used by other content, or others"
    " changed the record at every try"
}
CONDITIONAL = {412: "If-Match is not the record's current version: reload it"}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def document_security_and_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the generated document with auth and problems added."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_security_and_problems(spec)
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented override point


def error_statuses(operation: dict[str, Any], method: str) -> dict[int, str]:
    """The problem answers an authenticated operation can give, from its shape alone."""
    statuses = dict(AUTHENTICATED)
    if method != "get" or "requestBody" in operation:
        statuses.update(CHANGING)
    headers = {
        str(parameter.get("name", "")).lower()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "header"
    }
    if "if-match" in headers:
        statuses.update(CONDITIONAL)
    return dict(sorted(statuses.items()))


def with_security_and_problems(spec: dict[str, Any]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from your identity provider (or `waymark dev-token` locally)",
    }
    schemas = components.setdefault("schemas", {})
    problem_schema = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    spec["security"] = [{SECURITY_SCHEME: []}]
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if path in PUBLIC_OPERATIONS:
                operation["security"] = []
                continue
            _document_problems(operation, error_statuses(operation, method))
    # FastAPI's own validation error shapes are never sent: 422 is a problem document.
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f'"#/components/schemas/{unused}"' not in _text(spec):
            del schemas[unused]
    return spec


def _document_problems(operation: dict[str, Any], statuses: dict[int, str]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, description in statuses.items():
        responses.setdefault(str(status), {"description": description})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            response.setdefault("description", HTTPStatus(int(code)).phrase)
            response["content"] = {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}
    operation["responses"] = dict(sorted(responses.items()))


def _text(spec: dict[str, Any]) -> str:
    return json.dumps(spec)
