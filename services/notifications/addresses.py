"""Whom a notification is for: ``user:<staff id>`` (one person, by her sign-in's subject) or
``role:<role>`` (whoever holds it). A staff id is the one every service takes, so whoever can
sign in can be sent to, named on the on-call rota and given an email address."""

from __future__ import annotations

from shared.contracts.base import STAFF_ID_TEXT

ADDRESS = rf"^(role|user):{STAFF_ID_TEXT}$"
