"""Server-side sessions: the browser holds only a random id in an HttpOnly cookie.

Tokens never reach page scripts. A session ends after 30 idle minutes or 12 hours in all
(settings), or at sign-out, or when its access token expires. Sessions live in this process's
memory: a restart signs everyone out (the safe direction), and more than one replica needs
sticky sessions — the web app holds nothing else.

A form posted after the session ended is kept here for a few minutes, bound to the person who
typed it, so that after signing in again she returns to the same page with her input.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shared.security.roles import Role

COOKIE = "waymark_session"
KEPT_FORM_SECONDS = 15 * 60


@dataclass
class Session:
    id: str
    subject: str
    roles: frozenset[Role]
    team: str | None
    access_token: str
    token_expires_at: float
    created_at: float
    last_seen: float
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    id_token: str | None = None  # for the identity provider's sign-out

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class KeptForm:
    subject: str
    path: str
    fields: tuple[tuple[str, str], ...]
    kept_until: float


@dataclass
class _Ended:
    subject: str
    csrf_token: str
    until: float


class SessionStore:
    def __init__(self, idle_seconds: float, absolute_seconds: float) -> None:
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._sessions: dict[str, Session] = {}
        # Sessions that timed out, remembered briefly so a form posted into one can be kept
        # for the same person (never for whoever signs in next on that browser).
        self._ended: dict[str, _Ended] = {}
        self._forms: dict[str, KeptForm] = {}
        self._lock = threading.Lock()

    def create(
        self,
        *,
        subject: str,
        roles: frozenset[Role],
        team: str | None,
        access_token: str,
        token_expires_at: float,
        id_token: str | None = None,
    ) -> Session:
        now = time.time()
        session = Session(
            id=secrets.token_urlsafe(32),
            subject=subject,
            roles=roles,
            team=team,
            access_token=access_token,
            token_expires_at=token_expires_at,
            created_at=now,
            last_seen=now,
            id_token=id_token,
        )
        with self._lock:
            self._sweep(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session (its idle clock restarted), or None."""
        if not session_id:
            return None
        now = time.time()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                self._ended[session_id] = _Ended(
                    session.subject, session.csrf_token, now + KEPT_FORM_SECONDS
                )
                return None
            session.last_seen = now
            return session

    def ended(self, session_id: str | None) -> tuple[str, str] | None:
        """(subject, csrf token) of a session that timed out a short while ago."""
        if not session_id:
            return None
        with self._lock:
            ended = self._ended.get(session_id)
            if ended is None or ended.until < time.time():
                return None
            return ended.subject, ended.csrf_token

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)
                self._ended.pop(session_id, None)

    def keep_form(self, subject: str, path: str, fields: list[tuple[str, str]]) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._forms[key] = KeptForm(
                subject, path, tuple(fields), time.time() + KEPT_FORM_SECONDS
            )
        return key

    def take_form(self, key: str | None, subject: str, path: str) -> dict[str, Any] | None:
        """The kept input for this person and page, once; anything else gives None."""
        if not key:
            return None
        with self._lock:
            kept = self._forms.get(key)
            if kept is None or kept.kept_until < time.time():
                self._forms.pop(key, None)
                return None
            if kept.subject != subject or kept.path != path:
                return None
            del self._forms[key]
        values: dict[str, Any] = {}
        for name, value in kept.fields:
            values.setdefault(name, []).append(value)
        return {name: items[0] if len(items) == 1 else items for name, items in values.items()}

    def _expired(self, session: Session, now: float) -> bool:
        return (
            now - session.last_seen > self._idle
            or now - session.created_at > self._absolute
            or now >= session.token_expires_at
        )

    def _sweep(self, now: float) -> None:
        for sid in [s for s, session in self._sessions.items() if self._expired(session, now)]:
            del self._sessions[sid]
        for sid in [s for s, ended in self._ended.items() if ended.until < now]:
            del self._ended[sid]
        for key in [k for k, form in self._forms.items() if form.kept_until < now]:
            del self._forms[key]
