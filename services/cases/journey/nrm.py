"""The National Referral Mechanism: a First Responder contacted and her NRM referral submitted
(with her informed consent, or as a possible child — ``possible_minor.py`` — who needs none and
must always be referred),
then the Reasonable Grounds decision, her recovery period and the Conclusive Grounds decision,
each as learnt and from whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from services.cases.journey.base import (
    DatesOutOfOrder,
    JourneyError,
    JourneyFact,
    JourneyInputError,
    JourneyPart,
)
from services.cases.journey.consent import Consents
from services.cases.values import (
    RECOVERY_PERIOD_MIN_DAYS,
    ConsentScope,
    DecisionSource,
    NrmDecision,
    NrmOutcome,
)


class NotAFirstResponder(JourneyInputError):
    """That partner is not a First Responder: only a First Responder can make an NRM referral."""


class NrmConsentRequired(JourneyError):
    """An adult must give informed consent (scope nrm_referral) before an NRM referral."""


class NrmAlreadySubmitted(JourneyError):
    """An NRM referral is already recorded for her, with different details."""


class NrmNotSubmitted(JourneyError):
    """No NRM referral is recorded for her yet."""


class NoPositiveReasonableGrounds(JourneyError):
    """This step needs a positive Reasonable Grounds decision first."""


class NrmDecisionAlreadyRecorded(JourneyError):
    """This NRM decision is already recorded, with different details."""


class RecoveryPeriodAlreadyStarted(JourneyError):
    """A recovery period is already recorded, with different dates."""


class RecoveryPeriodTooShort(JourneyInputError):
    """The recovery period must last at least 30 days."""


class _Decision(JourneyFact):
    outcome: str
    decided_on: date
    learned_on: date
    source: str

    def decision(self) -> NrmDecision:
        return NrmDecision(
            NrmOutcome(self.outcome), self.decided_on, self.learned_on, DecisionSource(self.source)
        )


class Nrm(Consents):
    class FirstResponderContacted(JourneyFact):
        """A First Responder organisation was contacted about an NRM referral."""

        partner: str

        def apply(self, journey: JourneyPart) -> None:
            contacted = journey.nrm.first_responders_contacted
            if self.partner not in contacted:
                journey.nrm = replace(
                    journey.nrm, first_responders_contacted=(*contacted, self.partner)
                )

    class NrmReferralSubmitted(JourneyFact):
        """A First Responder submitted her NRM referral (consented, or as a possible child)."""

        partner: str
        submitted_on: date
        consent_id: UUID | None
        #: Referred as a possible child: no consent needed (and none relied on).
        possible_minor: bool

        def apply(self, journey: JourneyPart) -> None:
            journey.nrm = replace(
                journey.nrm,
                submitted_by=self.partner,
                submitted_on=self.submitted_on,
                consent_id=self.consent_id,
                submitted_as_possible_minor=self.possible_minor,
            )

    class ReasonableGroundsDecisionReceived(_Decision):
        """A Reasonable Grounds decision, as learnt and from whom."""

        def apply(self, journey: JourneyPart) -> None:
            journey.nrm = replace(journey.nrm, reasonable_grounds=self.decision())

    class RecoveryPeriodStarted(JourneyFact):
        """Her recovery period (at least 30 days) started."""

        starts_on: date
        ends_on: date

        def apply(self, journey: JourneyPart) -> None:
            journey.nrm = replace(
                journey.nrm, recovery_starts_on=self.starts_on, recovery_ends_on=self.ends_on
            )

    class ConclusiveGroundsDecisionReceived(_Decision):
        """A Conclusive Grounds decision, as learnt and from whom."""

        def apply(self, journey: JourneyPart) -> None:
            journey.nrm = replace(journey.nrm, conclusive_grounds=self.decision())

    def record_first_responder_contact(
        self, partner: str, is_first_responder: bool, occurred_at: datetime, actor: str
    ) -> None:
        if not is_first_responder:
            raise NotAFirstResponder(f"partner {partner} is not a First Responder")
        self._require_registered()
        self._record(self.FirstResponderContacted, occurred_at, actor, partner=partner)
        self._start_support(occurred_at, actor)

    def record_nrm_referral(
        self,
        partner: str,
        is_first_responder: bool,
        submitted_on: date,
        consent_id: UUID | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        """Adults must give informed consent; a possible child needs none and must always be
        referred."""
        if self.nrm.submitted_on is not None:
            if (self.nrm.submitted_by, self.nrm.submitted_on) == (partner, submitted_on):
                return
            raise NrmAlreadySubmitted(f"journey {self.id} already has an NRM referral")
        if not is_first_responder:
            raise NotAFirstResponder(f"partner {partner} is not a First Responder")
        if submitted_on > occurred_at.date():
            raise DatesOutOfOrder("the NRM referral is dated after it was recorded")
        self._require_registered()
        relied_on: UUID | None = None
        if not self.possible_minor:
            relied_on = self._consent_covering(consent_id, ConsentScope.NRM_REFERRAL)
            if relied_on is None:
                raise NrmConsentRequired(f"journey {self.id} has no nrm_referral consent")
        self._record(
            self.NrmReferralSubmitted,
            occurred_at,
            actor,
            partner=partner,
            submitted_on=submitted_on,
            consent_id=relied_on,
            possible_minor=self.possible_minor,
        )
        self._start_support(occurred_at, actor)

    def _is_new_decision(
        self,
        recorded: NrmDecision | None,
        decision: NrmDecision,
        which: str,
        occurred_at: datetime,
    ) -> bool:
        """False when this very decision is already recorded (a retry changes nothing); raises
        for a different one, for dates out of order, or for a journey not registered."""
        if recorded is not None:
            if recorded == decision:
                return False
            raise NrmDecisionAlreadyRecorded(f"a {which} decision is already recorded")
        if not decision.decided_on <= decision.learned_on <= occurred_at.date():
            raise DatesOutOfOrder("decided_on ≤ learned_on ≤ the day it is recorded")
        self._require_registered()
        return True

    def record_reasonable_grounds(
        self, decision: NrmDecision, occurred_at: datetime, actor: str
    ) -> None:
        if not self._is_new_decision(
            self.nrm.reasonable_grounds, decision, "Reasonable Grounds", occurred_at
        ):
            return
        if self.nrm.submitted_on is None:
            raise NrmNotSubmitted(f"journey {self.id} has no NRM referral")
        if decision.decided_on < self.nrm.submitted_on:
            raise DatesOutOfOrder("the decision is dated before the NRM referral")
        self._decision_received(
            self.ReasonableGroundsDecisionReceived, decision, occurred_at, actor
        )

    def start_recovery_period(
        self, starts_on: date, ends_on: date, occurred_at: datetime, actor: str
    ) -> None:
        if self.nrm.recovery_starts_on is not None:
            if (self.nrm.recovery_starts_on, self.nrm.recovery_ends_on) == (starts_on, ends_on):
                return
            raise RecoveryPeriodAlreadyStarted(f"journey {self.id} has a recovery period")
        if ends_on < starts_on + timedelta(days=RECOVERY_PERIOD_MIN_DAYS):
            raise RecoveryPeriodTooShort(
                f"{(ends_on - starts_on).days} days; at least {RECOVERY_PERIOD_MIN_DAYS}"
            )
        self._require_registered()
        self._require_positive_reasonable_grounds()
        self._record(
            self.RecoveryPeriodStarted, occurred_at, actor, starts_on=starts_on, ends_on=ends_on
        )

    def record_conclusive_grounds(
        self, decision: NrmDecision, occurred_at: datetime, actor: str
    ) -> None:
        if not self._is_new_decision(
            self.nrm.conclusive_grounds, decision, "Conclusive Grounds", occurred_at
        ):
            return
        reasonable = self._require_positive_reasonable_grounds()
        if decision.decided_on < reasonable.decided_on:
            raise DatesOutOfOrder("the decision is dated before the Reasonable Grounds decision")
        self._decision_received(
            self.ConclusiveGroundsDecisionReceived, decision, occurred_at, actor
        )

    def _decision_received(
        self, received: type[_Decision], decision: NrmDecision, occurred_at: datetime, actor: str
    ) -> None:
        self._record(
            received,
            occurred_at,
            actor,
            outcome=decision.outcome.value,
            decided_on=decision.decided_on,
            learned_on=decision.learned_on,
            source=decision.source.value,
        )

    def _require_positive_reasonable_grounds(self) -> NrmDecision:
        reasonable = self.nrm.reasonable_grounds
        if reasonable is None or reasonable.outcome is not NrmOutcome.POSITIVE:
            raise NoPositiveReasonableGrounds(f"journey {self.id}")
        return reasonable
