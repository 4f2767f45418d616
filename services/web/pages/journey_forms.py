"""Every action a caseworker records on a journey, as a form page.

The web path of each form is the cases service's command path: GET shows the form, POST sends
her answers to the same path on the cases service with ``If-Match`` (the journey version the
form was rendered from) and, on success, returns her to the journey page. The forms are a
table (``journey_consent``, ``journey_support``, ``journey_referrals``, ``journey_nrm``,
``journey_exit``); one template renders them and one handler sends them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.web.api import Command, Refused, Service
from services.web.messages import problem_message
from services.web.pages import (
    journey_consent,
    journey_exit,
    journey_nrm,
    journey_referrals,
    journey_support,
)
from services.web.pages.commands import kept_answers, send_command
from services.web.pages.conflicts import all_yours, changes_since, conflict_message, loaded_now
from services.web.pages.ids import record_id
from services.web.pages.journey_form_fields import (
    OCCURRED_AT,
    TIME_SUFFIX,
    Field,
    JourneyForm,
    Kind,
    body_of,
    journey_values,
    occurred_field,
    options,
)
from services.web.pages.journey_form_items import find_item, item_rows
from services.web.people import needs
from services.web.rendering import render
from services.web.sessions import Session
from shared.security.roles import Role

router = APIRouter()

FORMS: tuple[JourneyForm, ...] = (
    *journey_consent.FORMS,
    *journey_support.FORMS,
    *journey_referrals.FORMS,
    *journey_nrm.FORMS,
    *journey_exit.FORMS,
)
TEMPLATE = "journey_forms/form.html"
#: Reference data changes rarely (a charity edits a file and restarts): a few minutes is fresh.
REFERENCE_SECONDS = 300
KEPT_MESSAGE = (
    "You were signed out while you were typing. Your answers are below: check them, then save."
)
LOCAL_MESSAGE = problem_message(422, "validation", None)


async def reference_data(request: Request, session: Session) -> Mapping[str, Any]:
    cached: tuple[float, Mapping[str, Any]] | None = getattr(
        request.app.state, "journey_form_reference", None
    )
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    answer = await request.app.state.services.get(Service.CASES, "/reference", session.access_token)
    data: Mapping[str, Any] = answer.body or {}
    request.app.state.journey_form_reference = (time.monotonic() + REFERENCE_SECONDS, data)
    return data


async def _journey(
    request: Request, session: Session, journey_id: UUID
) -> tuple[dict[str, Any], str]:
    answer = await request.app.state.services.get(
        Service.CASES, f"/journeys/{journey_id}", session.access_token
    )
    journey: dict[str, Any] = answer.body or {}
    return journey, answer.version or str(journey.get("version", ""))


def _values(items: list[tuple[str, Any]], fields: tuple[Field, ...]) -> dict[str, Any]:
    multiple = {f.name for f in fields if f.kind is Kind.CHECKBOXES}
    values: dict[str, Any] = {name: [] for name in multiple}
    for name, value in items:
        if not isinstance(value, str) or name == "csrf_token":
            continue
        if name in multiple:
            values[name].append(value)
        else:
            values[name] = value
    return values


def _kept(kept: Mapping[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    multiple = {f.name for f in fields if f.kind is Kind.CHECKBOXES}
    values: dict[str, Any] = {name: [] for name in multiple}
    for name, value in kept.items():
        listed = value if isinstance(value, list) else [value]
        values[name] = listed if name in multiple else (listed[0] if listed else "")
    return values


def _initial(form: JourneyForm, journey: Mapping[str, Any]) -> dict[str, Any]:
    values = journey_values(form.fields, journey)
    for item in form.fields:
        if item.kind is Kind.NEW_ID:
            values[item.name] = str(uuid.uuid4())
    if form.consent_check == "referral":
        values.update(journey_referrals.referral_defaults(datetime.now(UTC)))
    return values


def _field_errors(form: JourneyForm, refused: Refused) -> tuple[dict[str, str], list[str]]:
    """Each service error beside its field; any the form has no field for, in the summary."""
    names = {f.name for f in form.fields} | {OCCURRED_AT}
    errors: dict[str, str] = {}
    others: list[str] = []
    for location, sentence in refused.fields.items():
        base = location.split(".")[0]
        if base in names:
            errors.setdefault(base, sentence)
        else:
            others.append(sentence)
    override = form.refusals.get(refused.slug)
    if override is not None and override.field:
        errors.setdefault(override.field, override.beside or override.message)
    return errors, others


@dataclass(frozen=True)
class _Asked:
    """One request for one form: who asks, on which journey, and for which item on it."""

    request: Request
    session: Session
    form: JourneyForm
    journey_id: UUID
    item_id: UUID | None

    @classmethod
    def of(cls, request: Request, session: Session, form: JourneyForm) -> _Asked:
        journey_id = record_id(request.path_params.get("journey_id"))
        param = form.item_param
        item_id = record_id(request.path_params.get(param)) if param else None
        return cls(request, session, form, journey_id, item_id)


async def _page(
    asked: _Asked,
    values: Mapping[str, Any],
    *,
    journey: Mapping[str, Any] | None = None,
    version: str | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    changes: list[dict[str, Any]] | None = None,
    stale: bool = False,
    yours: bool = False,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    request, session, form, journey_id = asked.request, asked.session, asked.form, asked.journey_id
    if journey is None:
        journey, fresh = await _journey(request, session, journey_id)
        version = version or fresh
    reference = await reference_data(request, session)
    item = find_item(form, journey, asked.item_id)
    fields = [
        {"field": f, "options": options(f, reference)}
        for f in (*form.fields, occurred_field(form))
        if f.kind is not Kind.NEW_ID
    ]
    partner_names = dict(
        options(Field("partner", Kind.SELECT, "", reference="partners"), reference)
    )
    context = {
        "form": form,
        "fields": fields,
        "hidden": [f.name for f in form.fields if f.kind is Kind.NEW_ID],
        "time_suffix": TIME_SUFFIX,
        "values": values,
        "errors": dict(errors or {}),
        "message": message,
        "changes": changes or [],
        "stale": stale,
        "yours": yours,
        "notice": notice,
        "version": version or "",
        "loaded_at": values.get("loaded_at") or loaded_now(),
        "journey_url": f"/journeys/{journey_id}",
        "action": request.url.path,
        "item_rows": item_rows(form.item_param, item, reference),
        "check": journey_referrals.consent_check(journey, partner_names, values)
        if form.consent_check
        else None,
    }
    return await render(request, TEMPLATE, context, status_code=status_code, title=form.title)


def _show(form: JourneyForm) -> Callable[[Request, Session], Awaitable[Response]]:
    # The roles differ by form, so the dependency is made per form (not a module alias).
    async def show(request: Request, session: Session = _roles(form)) -> Response:  # noqa: B008
        asked = _Asked.of(request, session, form)
        journey, version = await _journey(request, session, asked.journey_id)
        kept = kept_answers(request, session)
        if kept:
            # Her version stays: if the journey changed meanwhile, saving shows what changed.
            values = _kept(kept, form.fields)
            return await _page(
                asked,
                values,
                journey=journey,
                version=str(kept.get("version") or version),
                notice=KEPT_MESSAGE,
            )
        values = {**_initial(form, journey), "loaded_at": loaded_now()}
        return await _page(asked, values, journey=journey, version=version)

    return show


def _send(form: JourneyForm) -> Callable[[Request, Session], Awaitable[Response]]:
    # The roles differ by form, so the dependency is made per form (not a module alias).
    async def send(request: Request, session: Session = _roles(form)) -> Response:  # noqa: B008
        asked = _Asked.of(request, session, form)
        submitted = await request.form()
        values = _values(list(submitted.multi_items()), form.fields)
        version = str(values.get("version") or "")
        body, local_errors = body_of(
            (*form.fields, occurred_field(form)), values, datetime.now(UTC)
        )
        if local_errors:
            return await _page(
                asked,
                values,
                version=version,
                errors=local_errors,
                message=LOCAL_MESSAGE,
                status_code=422,
            )
        command = Command(Service.CASES, request.url.path, body, if_match=version or None)
        return await send_command(
            request,
            session,
            command,
            done=f"/journeys/{asked.journey_id}#{form.section}",
            refused=lambda refused: _refused(asked, values, version, refused),
        )

    return send


async def _refused(
    asked: _Asked, values: dict[str, Any], version: str, refused: Refused
) -> Response:
    request, session, journey_id = asked.request, asked.session, asked.journey_id
    if refused.stale:
        # Her answers stay; the form now carries the journey as it is, with what changed.
        changes = await changes_since(request, session, journey_id, values.get("loaded_at"))
        yours = all_yours(changes, session)
        journey, fresh = await _journey(request, session, journey_id)
        values = {**values, "loaded_at": loaded_now()}
        return await _page(
            asked,
            values,
            journey=journey,
            version=fresh,
            message=conflict_message(changes, session, refused.message),
            changes=changes,
            stale=True,
            yours=yours,
            status_code=412,
        )
    errors, others = _field_errors(asked.form, refused)
    override = asked.form.refusals.get(refused.slug)
    if override is None:
        said = refused.message
    else:
        # Said once: beside the field (linked from the summary) unless it has shorter words.
        said = "" if override.field and not override.beside else override.message
    message = " ".join([said, *others]).strip() or None
    return await _page(
        asked,
        values,
        version=version,
        errors=errors,
        message=message,
        status_code=refused.status,
    )


def _roles(form: JourneyForm) -> Any:
    if form.lead_only:
        return needs(Role.SAFEGUARDING_LEAD)
    return needs(Role.CASEWORKER, Role.SAFEGUARDING_LEAD)


for _form in FORMS:
    for _method, _handler in (("GET", _show(_form)), ("POST", _send(_form))):
        router.add_api_route(
            _form.path,
            _handler,
            methods=[_method],
            response_class=HTMLResponse,
            include_in_schema=False,
        )
