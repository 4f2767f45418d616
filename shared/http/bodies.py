"""Every request body is JSON, checked once for all routes before any of them reads it.

A body must be sent as ``application/json`` (or a ``+json`` type): anything else is 415. A JSON
object that repeats a key is refused (parsers disagree on which value wins, so the app and a
proxy or a log could each see another request), and so is a NUL character in any string or key
(it cuts strings short in C libraries and PostgreSQL refuses it in text). Both are 422 naming
the field — never quoting what was sent. A body that is not JSON at all is left to the route's
own validation, which says so the same way.
"""

from __future__ import annotations

import email.message
import json
import re
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from shared.http.middleware import HttpMiddleware
from shared.http.problems import problem_response

# Field names are snake_case: a key that is not could be anything the client typed.
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DuplicateKey
    return found


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def nul_at(document: Any) -> str | None:
    """Where the first NUL character is (``body.contacts.0.alias``), or None."""
    pending: list[tuple[str, Any]] = [("body", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path
                named = f"{path}.{key}" if _FIELD_NAME.fullmatch(key) else path
                pending.append((named, item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item) for index, item in enumerate(value))
    return None


def _invalid(field: str, reason: str) -> Any:
    return problem_response(
        422, "validation", "The request is not valid", errors=[{"field": field, "reason": reason}]
    )


def _unsupported() -> Any:
    return problem_response(
        415,
        "unsupported-media-type",
        "The request body must be JSON",
        "Send it with Content-Type: application/json.",
    )


class JsonBodies(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away mid-body
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            refusal = self._refusal(scope, body)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _refusal(scope: Scope, body: bytes) -> Any:
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if not is_json(content_type):
            return _unsupported()
        try:
            document = json.loads(body, object_pairs_hook=_unique_keys)
        except _DuplicateKey:
            return _invalid("body", "an object holds the same key more than once")
        except RecursionError:
            return _invalid("body", "is nested too deeply")
        except ValueError:
            # Not JSON, or not UTF-8 (which the framework would answer with a bare 400).
            return _invalid("body", "must be JSON in UTF-8")
        where = nul_at(document)
        if where is not None:
            return _invalid(where, "must not contain a NUL character")
        return None
