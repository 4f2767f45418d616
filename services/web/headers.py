"""Headers on every answer of the web app.

Pages carry personal data: never stored by the browser or a proxy, never framed, and scripts
only from this origin (no inline script, no eval, no third party of any kind). Vendored assets
hold no personal data and may be cached.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.headers import EVERY_ANSWER


def policy(sign_out_origin: str | None = None) -> bytes:
    """The page policy. Signing out posts a form that ends at the identity provider, and
    browsers check ``form-action`` on redirects too: its origin is the one exception."""
    form_action = "'self'" + (f" {sign_out_origin}" if sign_out_origin else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; font-src 'self'; form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; manifest-src 'self'; "
        "worker-src 'self'"
    ).encode()


COMMON = [
    *EVERY_ANSWER,
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on form
    # posts, which the CSRF origin check must refuse. Paths hold ids only, never names.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
STATIC_PREFIX = "/static/"


class WebHeaders:
    def __init__(self, app: ASGIApp, sign_out_origin: str | None = None) -> None:
        self.app = app
        self.headers = [*COMMON, (b"content-security-policy", policy(sign_out_origin))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)
        caching = b"public, max-age=3600" if static else b"no-store"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message["headers"] = [*headers, *self.headers, (b"cache-control", caching)]
            await send(message)

        await self.app(scope, receive, with_headers)
