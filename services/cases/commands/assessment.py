"""Assessing her: her needs, her risk, and a safety plan agreed with her."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import RiskLevel


class AssessNeeds(JourneyCommand):
    needs: Sequence[str]
    notes: str | None = None

    records = Journey.assess_needs
    codes = {"needs": "needs"}


class AssessRisk(JourneyCommand):
    level: RiskLevel
    indicators: Sequence[str] = ()
    notes: str | None = None

    records = Journey.assess_risk
    codes = {"indicators": "person_indicators"}


class AgreeSafetyPlan(JourneyCommand):
    plan_id: UUID
    summary: str
    review_on: date

    records = Journey.agree_safety_plan
