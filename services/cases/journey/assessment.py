"""Assessing her: her needs, her risk, and a safety plan agreed with her. The first assessment
moves the journey from new to assessing; a safety plan is support, so it makes it active.

No rule reads her needs or her risk once assessed, so the journey keeps neither: both are shown
from the journey-detail read model (``services/cases/queries/journey_detail``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from services.cases.journey.base import (
    DatesOutOfOrder,
    JourneyError,
    JourneyFact,
    JourneyPart,
    unique,
)
from services.cases.values import RiskLevel, SafetyPlan


class SafetyPlanConflict(JourneyError):
    """This safety plan id is already recorded with different content."""


class Assessment(JourneyPart):
    class NeedsAssessed(JourneyFact):
        """Her needs, as coded areas (housing, health, NI number and so on)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        needs: list[str]
        notes: str | None

    class RiskAssessed(JourneyFact):
        """A risk level with the indicators behind it."""

        personal_fields: ClassVar[tuple[str, ...]] = ("notes",)

        level: str
        indicators: list[str]
        notes: str | None

    class SafetyPlanAgreed(JourneyFact):
        """A safety plan agreed with her, with a review date."""

        personal_fields: ClassVar[tuple[str, ...]] = ("summary",)

        plan_id: UUID
        summary: str
        review_on: date

        def apply(self, journey: JourneyPart) -> None:
            plan = SafetyPlan(self.plan_id, self.summary, self.review_on, self.occurred_at)
            journey.safety_plans[self.plan_id] = plan

    def assess_needs(
        self, needs: Sequence[str], notes: str | None, occurred_at: datetime, actor: str
    ) -> None:
        self._require_registered()
        self._record(self.NeedsAssessed, occurred_at, actor, needs=unique(needs), notes=notes)
        self._start_assessment(occurred_at, actor)

    def assess_risk(
        self,
        level: RiskLevel,
        indicators: Sequence[str],
        notes: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_registered()
        self._record(
            self.RiskAssessed,
            occurred_at,
            actor,
            level=level.value,
            indicators=unique(indicators),
            notes=notes,
        )
        self._start_assessment(occurred_at, actor)

    def agree_safety_plan(
        self, plan_id: UUID, summary: str, review_on: date, occurred_at: datetime, actor: str
    ) -> None:
        if self._is_retry(
            self.safety_plans,
            plan_id,
            lambda it: (it.summary, it.review_on) == (summary, review_on),
            SafetyPlanConflict,
            "safety plan",
        ):
            return
        if review_on < occurred_at.date():
            raise DatesOutOfOrder(f"safety plan {plan_id} review date is before it was agreed")
        self._require_registered()
        self._record(
            self.SafetyPlanAgreed,
            occurred_at,
            actor,
            plan_id=plan_id,
            summary=summary,
            review_on=review_on,
        )
        self._start_support(occurred_at, actor)
