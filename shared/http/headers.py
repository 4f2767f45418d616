"""Security headers on every response.

Responses carry personal data, so nothing is cached and nothing is framed or sniffed. The API
is not meant for browsers from other origins: no CORS headers are sent (closed by default).
The interactive docs (/docs and its vendored assets) may load scripts, styles and images from
the service itself and nowhere else (data: images are the stylesheet's icons); everything
else gets ``default-src 'none'``.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from shared.http.middleware import HttpMiddleware

#: What every Waymark answer carries, an API's or a page: never sniffed, never framed, never
#: loaded by another origin.
EVERY_ANSWER = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
COMMON = [
    *EVERY_ANSWER,
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs",)


class SecurityHeaders(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else API_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in COMMON if k not in present]
                extra.append((b"content-security-policy", policy))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
