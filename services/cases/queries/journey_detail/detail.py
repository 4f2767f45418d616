"""``journey_detail``: her journey as the caseworker reads it, folded from its events.

The journey itself keeps only what its rules need. What is only shown — when it was opened, the
languages she was met in, her needs and their notes, her latest risk and safety plan, how she
returned home, why her case closed and when it reopened, when her records were last given to
her — is folded here from the same events, in the same pass that folds the journey. Every event
is read, never a snapshot: a snapshot holds the journey's own state alone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import singledispatch
from typing import Any

from services.cases.domain import Journey
from services.cases.values import Risk, RiskLevel, SafetyPlan


@dataclass
class JourneyDetail:
    """What the caseworker reads about one journey at one version."""

    #: The journey's own state (status, consents, referrals…), folded from the same events.
    journey: Journey
    #: When its first event and its latest were stored (the store's clock).
    recorded_at: datetime
    updated_at: datetime
    opened_at: datetime
    languages: list[str] = field(default_factory=list)
    last_contact_at: datetime | None = None
    needs: list[str] = field(default_factory=list)
    needs_notes: str | None = None
    needs_assessed_at: datetime | None = None
    risk: Risk | None = None
    safety_plan: SafetyPlan | None = None  # the one agreed last
    returned_home_assisted: bool | None = None
    closure_reason: str | None = None
    reopened_at: datetime | None = None
    subject_access_fulfilled_at: datetime | None = None  # her latest export


def shown_only(detail: JourneyDetail) -> dict[str, Any]:
    """What the detail adds to the journey's own state, by name (the journey's clocks aside)."""
    return {
        f.name: getattr(detail, f.name)
        for f in fields(detail)
        if f.name not in ("journey", "recorded_at", "updated_at")
    }


def journey_detail(
    events: Iterable[Any], onto: JourneyDetail | None = None
) -> JourneyDetail | None:
    """The detail after these events of one journey, oldest first, folded onto ``onto`` (the
    detail before them, changed in place) or from nothing; None when there is nothing."""
    detail = onto
    for event in events:
        if detail is None:
            opened = event.timestamp
            detail = JourneyDetail(event.mutate(None), opened, opened, event.occurred_at)
        else:
            detail.journey = event.mutate(detail.journey)
            detail.updated_at = event.timestamp
        shown(event, detail)
    return detail


@singledispatch
def shown(event: object, detail: JourneyDetail) -> None:
    """What an event adds to the detail beyond the journey's own state (for most: nothing)."""


@shown.register
def _contact_recorded(event: Journey.ContactRecorded, detail: JourneyDetail) -> None:
    if event.language not in detail.languages:
        detail.languages.append(event.language)
    # Offline apps deliver late: the latest contact is the latest by the device clock.
    if detail.last_contact_at is None or event.occurred_at > detail.last_contact_at:
        detail.last_contact_at = event.occurred_at


@shown.register
def _needs_assessed(event: Journey.NeedsAssessed, detail: JourneyDetail) -> None:
    detail.needs = list(event.needs)
    detail.needs_notes = event.notes
    detail.needs_assessed_at = event.occurred_at


@shown.register
def _risk_assessed(event: Journey.RiskAssessed, detail: JourneyDetail) -> None:
    level = RiskLevel(event.level)
    detail.risk = Risk(level, tuple(event.indicators), event.notes, event.occurred_at)


@shown.register
def _safety_plan_agreed(event: Journey.SafetyPlanAgreed, detail: JourneyDetail) -> None:
    detail.safety_plan = SafetyPlan(
        event.plan_id, event.summary, event.review_on, event.occurred_at
    )


#: Events that add one value to the detail: the detail's field, and the event's field it takes.
COPIED: dict[type[Any], tuple[str, str]] = {
    Journey.ReturnedHome: ("returned_home_assisted", "assisted"),
    Journey.CaseClosed: ("closure_reason", "reason"),
    Journey.CaseReopened: ("reopened_at", "occurred_at"),
    Journey.SubjectAccessFulfilled: ("subject_access_fulfilled_at", "occurred_at"),
}


def _copied(event: Any, detail: JourneyDetail) -> None:
    into, source = COPIED[type(event)]
    setattr(detail, into, getattr(event, source))


for _event_class in COPIED:
    shown.register(_event_class, _copied)
