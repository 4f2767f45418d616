"""The three services, called with the signed-in person's own token.

Every rule, ETag and audit entry of the services applies unchanged: the web app adds none of
its own and owns no data. One pooled ``httpx.AsyncClient`` per service for the process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from services.web.messages import field_message, problem_message
from services.web.settings import WebSettings
from services.web.timing import count_api_call


class Service(StrEnum):
    VISITS = "visits"
    CASES = "cases"
    NOTIFICATIONS = "notifications"


#: How long a caller is asked to wait when a service did not say (it could not be reached, or
#: its 5xx named no wait): as long as the services ask when their database is out of reach.
RETRY_AFTER_S = 5


class ServiceDown(Exception):
    """The service did not answer, or answered 5xx: a friendly page, never a stack trace.
    ``retry_after_s`` is the wait the service asked for, in seconds, or ``RETRY_AFTER_S``."""

    def __init__(self, service: Service, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__(service.value)
        self.service = service
        self.retry_after_s = retry_after_s


class TokenRefused(Exception):
    """401 from a service: the token expired or was revoked; she signs in again."""


class NotAllowed(Exception):
    """403 from a service."""


class NotFound(Exception):
    """404 from a service."""


@dataclass
class Refused(Exception):
    """A 4xx answer a form shows: one plain sentence, and one per field where named."""

    status: int
    slug: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return self.status == 412


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    etag: str | None
    headers: Mapping[str, str]

    @property
    def version(self) -> str | None:
        """The aggregate version from a weak or strong ETag, for the next If-Match."""
        if not self.etag:
            return None
        return self.etag.removeprefix("W/").strip('"')


@dataclass(frozen=True)
class Command:
    """A POST to one of the services' command paths."""

    service: Service
    path: str
    body: Any = None
    if_match: str | None = None
    idempotency_key: str | None = None


class Services:
    def __init__(self, settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None):
        urls = {
            Service.VISITS: settings.visits_url,
            Service.CASES: settings.cases_url,
            Service.NOTIFICATIONS: settings.notifications_url,
        }
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self._clients = {
            service: httpx.AsyncClient(
                base_url=url,
                timeout=settings.api_timeout_s,
                limits=limits,
                transport=transport,
            )
            for service, url in urls.items()
        }

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def get(
        self, service: Service, path: str, token: str, params: Mapping[str, Any] | None = None
    ) -> Answer:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return await self._call(service, "GET", path, token, params=clean)

    async def send(self, command: Command, token: str) -> Answer:
        headers: dict[str, str] = {}
        if command.if_match:
            headers["If-Match"] = _etag(command.if_match)
        if command.idempotency_key:
            headers["Idempotency-Key"] = command.idempotency_key
        return await self._call(
            command.service, "POST", command.path, token, json=command.body, headers=headers
        )

    async def forward(
        self,
        service: Service,
        method: str,
        path: str,
        token: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Answer:
        """The service's answer as it is, 4xx included, for a JSON endpoint that passes it on
        (the outreach app). ``content`` and ``headers`` go as they came, byte for byte, so the
        service judges them as from any client. Only a service that is down, or answers 5xx,
        raises."""
        if content is not None:
            headers = {**(headers or {}), "Content-Type": "application/json"}
        response = await self._request(
            service, method, path, token, headers=headers, content=content, params=params
        )
        return Answer(
            response.status_code, _json(response), response.headers.get("etag"), response.headers
        )

    async def _request(
        self,
        service: Service,
        method: str,
        path: str,
        token: str,
        headers: Mapping[str, str | bytes] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The service's response, on her token; a service that is down, or answers 5xx,
        raises ServiceDown."""
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        try:
            response = await self._clients[service].request(
                method,
                path,
                # As bytes, so a header passed on byte for byte is; text must be ASCII, as ever.
                headers=[(k.encode(), _ascii(v)) for k, v in sent.items()],
                **kwargs,
            )
        except httpx.HTTPError as error:
            raise ServiceDown(service) from error
        if response.status_code >= 500:
            raise ServiceDown(service, _retry_after_s(response.headers.get("retry-after")))
        return response

    async def _call(
        self, service: Service, method: str, path: str, token: str, **kwargs: Any
    ) -> Answer:
        started = time.perf_counter()
        try:
            response = await self._request(service, method, path, token, **kwargs)
        finally:
            count_api_call(started, time.perf_counter())
        status = response.status_code
        if status == 401:
            raise TokenRefused
        if status == 403:
            raise NotAllowed
        body = _json(response)
        if status == 404 and method == "GET":
            raise NotFound
        if status >= 400:
            raise _refused(status, body)
        return Answer(status, body, response.headers.get("etag"), response.headers)


#: The longest wait passed on: past it, a caller is better off trying on its own schedule.
RETRY_AFTER_MAX_S = 300


def _retry_after_s(value: str | None) -> int:
    """A service's ``Retry-After`` in seconds. Only its delay form is read (the services send
    no other); a date, or anything else, is the default wait."""
    if value is None or not (value.isascii() and value.isdigit()):
        return RETRY_AFTER_S
    seconds = value.lstrip("0")
    if len(seconds) > len(str(RETRY_AFTER_MAX_S)):  # past the longest wait: not read as a number
        return RETRY_AFTER_MAX_S
    return min(int(seconds or "0"), RETRY_AFTER_MAX_S)


def _ascii(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("ascii")


#: Sent for a version that is none: no record has this ETag, so the service answers 412.
NO_VERSION = '"none"'


def _etag(version: str) -> str:
    """The ETag of the version a page was drawn from. A form's hidden field can hold anything,
    and what is no version (not ASCII digits, so not sendable either, perhaps) is a stale form:
    the service refuses it as it refuses any other, and the page shows what changed."""
    return f'"{version}"' if version.isascii() and version.isdigit() else NO_VERSION


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def refused(status: int, body: Any) -> Refused:
    """A service's 4xx problem+json as one plain sentence, and one per field."""
    return _refused(status, body)


def _refused(status: int, body: Any) -> Refused:
    problem = body if isinstance(body, dict) else {}
    slug = str(problem.get("type", "")).rsplit(":", 1)[-1]
    fields: dict[str, str] = {}
    for error in problem.get("errors", []) or []:
        if isinstance(error, dict) and "field" in error:
            name = _form_field(str(error["field"]))
            fields.setdefault(name, field_message(name, str(error.get("reason", ""))))
    return Refused(status, slug, problem_message(status, slug, problem.get("title")), fields)


def _form_field(location: str) -> str:
    # "body.respond_by" → "respond_by"; nested items keep their path: "contacts.0.alias".
    parts = location.split(".")
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "form"
