"""Who may call what, checked before a route runs, and recorded after it answers.

One ASGI middleware does three things for every request but the public health and docs pages:

1. **Authenticate**: a valid bearer token or 401, the same bare 401 whatever was wrong.
2. **Authorise by role**: the request is matched against the service's access rules, each a
   route template (``GET /journeys/{journey_id}``) with the roles allowed. A request that
   matches no rule is answered 404 without reaching the app, so a route someone forgot to give
   a rule is refused to everyone (deny by default); a test checks every route of every
   service against every role, and that every route has a rule.
3. **Audit**: once the route has answered (or been refused, or failed), one entry — who,
   roles, which route and record ids, why, the status — is appended to the service's
   hash-chained audit log *before* the response leaves. A request that creates a record names
   it by the ``Location`` it answers with. If the entry cannot be written the caller gets 503
   and not the data: no unaudited read. Entries of concurrent requests are committed together
   (``AuditWriter``), each request answered only once its own entry is durable.

Finer checks (a caseworker and one journey) are dependencies of the routes concerned; they
leave a purpose (such as a break-glass grant) in ``request.state`` for the audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.docs import ASSET_PATHS as DOCS_ASSET_PATHS
from shared.http.problems import problem_response
from shared.security.audit import AuditEntry, AuditLog, AuditWriter
from shared.security.roles import Principal, Role
from shared.security.tokens import InvalidToken, TokenVerifier

log = structlog.get_logger(__name__)

AccessRules = Mapping[str, frozenset[Role]]
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", *DOCS_ASSET_PATHS})
# Path parameters that name the record a request is about, for the audit entry.
RECORD_TYPES = {
    "journey_id": "journey",
    "visit_id": "visit",
    "premises_id": "premises",
    "notification_id": "notification",
    "aggregate_id": "aggregate",
    "subject_id": "subject",
}
# Matched in full (``fullmatch``): ``$`` alone would let a trailing newline through.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9._:@/{}-]{0,200}")


def unauthenticated() -> Any:
    return problem_response(
        401,
        "unauthenticated",
        "Authentication required",
        headers={"WWW-Authenticate": 'Bearer realm="waymark"'},
    )


def not_found() -> Any:
    return problem_response(404, "not-found", "Not found")


def forbidden() -> Any:
    return problem_response(403, "forbidden", "You are not allowed to do this")


class AccessControl:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        rules: AccessRules,
        verifier: TokenVerifier,
        audit_log: Callable[[], AuditLog],
    ) -> None:
        self.app = app
        self.service = service
        self.rules = CompiledRules(rules)
        self.verifier = verifier
        self.audit_log = audit_log
        # Entries of concurrent requests share a commit; each request still waits for its own.
        self.audit = AuditWriter(audit_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        principal = await self._authenticate(scope)
        if principal is None:
            await unauthenticated()(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        rule = self.rules.match(scope["method"], scope["path"])
        if rule is None:
            await not_found()(scope, receive, send)
            return
        template, allowed, params = rule
        call = _Call(scope, principal, template, params)
        if not principal.has(*allowed):
            await self._refuse(call, receive, send)
            return
        await self._run_audited(call, receive, send)

    async def _authenticate(self, scope: Scope) -> Principal | None:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        verifier = self.verifier
        try:
            if verifier.may_block:
                return await run_in_threadpool(verifier.verify, token.strip())
            return verifier.verify(token.strip())  # microseconds: not worth a thread hop
        except InvalidToken:
            return None

    async def _run_audited(self, call: _Call, receive: Receive, send: Send) -> None:
        withheld = False

        async def audited_send(message: Message) -> None:
            nonlocal withheld
            starting = message["type"] == "http.response.start"
            if starting and not await self._record(call, message["status"], self._created(message)):
                withheld = True
                await _service_unavailable(call.scope, receive, send)
                return
            if not withheld:
                await send(message)

        await self.app(call.scope, receive, audited_send)

    async def _refuse(self, call: _Call, receive: Receive, send: Send) -> None:
        answer = forbidden() if await self._record(call, 403) else None
        if answer is None:
            await _service_unavailable(call.scope, receive, send)
        else:
            await answer(call.scope, receive, send)

    def _created(self, start: Message) -> Mapping[str, str]:
        """The path parameters of the record a request created, read from its ``Location``."""
        status = int(start["status"])
        headers = dict(start.get("headers", []))
        location = headers.get(b"location", b"").decode("latin-1").partition("?")[0]
        if status != 201 or not location.startswith("/"):
            return {}
        found = self.rules.match("GET", location)
        return {} if found is None else found[2]

    async def _record(
        self, call: _Call, status: int, created: Mapping[str, str] | None = None
    ) -> bool:
        entry = audit_entry(
            self.service, call.scope, call.principal, call.template, call.params, status, created
        )
        try:
            await self.audit.append(entry)
        except Exception:  # the store is down: refuse rather than serve unaudited
            log.exception("audit.not_written", outcome="response withheld")
            return False
        return True


@dataclass(frozen=True)
class _Call:
    """One authenticated request matched to a rule: what its audit entry is made of."""

    scope: Scope
    principal: Principal
    template: str
    params: Mapping[str, str]


def audit_entry(
    service: str,
    scope: Scope,
    principal: Principal,
    template: str,
    params: Mapping[str, str],
    status: int,
    created: Mapping[str, str] | None = None,
) -> AuditEntry:
    """The entry for one request. Path values are whatever the client typed: only plain ids
    are stored, anything else is ``invalid`` (a record id) or left out (a detail)."""
    record_type: str | None = None
    record_id: str | None = None
    details: dict[str, str] = {}
    for name, value in params.items():
        if record_id is None and name in RECORD_TYPES:
            record_type, record_id = RECORD_TYPES[name], _plain_id(value) or "invalid"
        elif _plain_id(value):
            details[name] = str(value)
    for name, value in (created or {}).items():
        if record_id is None and name in RECORD_TYPES and _plain_id(value):
            record_type, record_id = RECORD_TYPES[name], str(value)
    purpose = scope.get("state", {}).get("audit_purpose")
    return AuditEntry(
        service=service,
        actor=principal.subject,
        roles=tuple(sorted(role.value for role in principal.roles)),
        action=f"{scope['method']} {template}",
        record_type=record_type,
        record_id=record_id,
        outcome=status,
        purpose=purpose if isinstance(purpose, str) and _plain_id(purpose) else None,
        details=details,
    )


def _plain_id(value: object) -> str | None:
    text = str(value)
    return text if text and len(text) <= 100 and _SAFE_VALUE.fullmatch(text) else None


class CompiledRules:
    """Access rules as path patterns, literal segments before parameters (as routing does)."""

    def __init__(self, rules: AccessRules) -> None:
        compiled = []
        for key, roles in rules.items():
            method, _, template = key.partition(" ")
            regex, _, _ = compile_path(template)
            compiled.append((template.count("{"), method, regex, template, roles))
        compiled.sort(key=lambda rule: rule[0])
        self._rules = [
            (method, regex, template, roles) for _, method, regex, template, roles in compiled
        ]

    def match(self, method: str, path: str) -> tuple[str, frozenset[Role], dict[str, str]] | None:
        method = "GET" if method == "HEAD" else method
        for rule_method, regex, template, roles in self._rules:
            found = regex.match(path)
            if found and rule_method == method:
                return template, roles, found.groupdict()
        return None


async def _service_unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(503, "audit-unavailable", "Try again shortly")
    await response(scope, receive, send)
