"""Referrals to partners for a need, and each step the partner answers with. A referral that
shares her personal data relies on her consent for that partner, or on a lawful basis."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from services.cases.journey.base import (
    JourneyError,
    JourneyFact,
    JourneyInputError,
    JourneyItemNotFound,
    JourneyPart,
)
from services.cases.journey.consent import Consents
from services.cases.values import (
    ConsentScope,
    DeclineReason,
    Referral,
    ReferralStatus,
    ReferralTerms,
    WithdrawalReason,
)


class ConsentRequired(JourneyError):
    """Sharing her data needs her consent for that partner, or a recorded lawful basis."""


class ReferralNotFound(JourneyItemNotFound):
    """No such referral on this journey."""


class ReferralConflict(JourneyError):
    """This referral id is already recorded with different content."""


class ReferralNotOpen(JourneyError):
    """The referral is closed (completed, withdrawn or expired)."""


class ReferralAlreadyDeclined(ReferralNotOpen):
    """The referral was already declined."""


class InvalidReferralTransition(JourneyError):
    """The referral cannot move to that step from where it is."""


class ReferralNotOverdue(JourneyError):
    """The referral's response date has not passed yet."""


class RespondByNotAfterReferral(JourneyInputError):
    """The response date must be after the referral was made."""


#: From which steps a referral may move to each next step.
_REFERRAL_STEPS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.ACKNOWLEDGED: frozenset({ReferralStatus.MADE}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
    ReferralStatus.DECLINED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
    ReferralStatus.COMPLETED: frozenset({ReferralStatus.ACCEPTED}),
    ReferralStatus.WITHDRAWN: frozenset(
        {ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED}
    ),
    ReferralStatus.EXPIRED: frozenset({ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED}),
}


class _ReferralStep(JourneyFact):
    """A step a referral takes once made: to the status it ``reaches``, from when it happened."""

    reaches: ClassVar[ReferralStatus]

    referral_id: UUID

    def reason_given(self) -> str | None:
        """Why it took this step (only a decline or a withdrawal says)."""
        return None

    def apply(self, journey: JourneyPart) -> None:
        referral = journey.referrals[self.referral_id]
        journey.referrals[self.referral_id] = replace(
            referral,
            status=self.reaches,
            status_at=self.occurred_at,
            reason=self.reason_given(),
            consent_withdrawn=referral.consent_withdrawn and self.reaches.is_open,
        )


class Referrals(Consents):
    class ReferralMade(ReferralTerms, JourneyFact):
        """A referral to a partner for a need; sharing her data needs consent or a lawful basis."""

        def apply(self, journey: JourneyPart) -> None:
            journey.referrals[self.referral_id] = Referral(
                self.referral_id,
                self.partner,
                self.need,
                self.shares_personal_data,
                self.consent_id,
                self.lawful_basis,
                self.respond_by,
                made_at=self.occurred_at,
                status_at=self.occurred_at,
            )

    class ReferralAcknowledged(_ReferralStep):
        """The partner acknowledged the referral."""

        reaches = ReferralStatus.ACKNOWLEDGED

    class ReferralAccepted(_ReferralStep):
        """The partner accepted the referral."""

        reaches = ReferralStatus.ACCEPTED

    class ReferralDeclined(_ReferralStep):
        """The partner declined the referral."""

        reaches = ReferralStatus.DECLINED

        reason: str | None

        def reason_given(self) -> str | None:
            return self.reason

    class ReferralCompleted(_ReferralStep):
        """The referral's service was delivered."""

        reaches = ReferralStatus.COMPLETED

    class ReferralWithdrawn(_ReferralStep):
        """The referral was withdrawn."""

        reaches = ReferralStatus.WITHDRAWN

        reason: str

        def reason_given(self) -> str | None:
            return self.reason

    class ReferralExpired(_ReferralStep):
        """Nothing was heard from the partner by the respond-by time."""

        reaches = ReferralStatus.EXPIRED

    def make_referral(
        self,
        referral_id: UUID,
        partner: str,
        need: str,
        shares_personal_data: bool,
        consent_id: UUID | None,
        lawful_basis: str | None,
        respond_by: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        if self._is_retry(
            self.referrals,
            referral_id,
            lambda it: (
                (it.partner, it.need, it.shares_personal_data, it.lawful_basis, it.respond_by)
                == (partner, need, shares_personal_data, lawful_basis, respond_by)
                and consent_id in (None, it.consent_id)
            ),
            ReferralConflict,
            "referral",
        ):
            return
        if respond_by <= occurred_at:
            raise RespondByNotAfterReferral(f"referral {referral_id} respond_by is not later")
        self._require_registered()
        relied_on: UUID | None = None
        if shares_personal_data:
            relied_on = self._consent_covering(consent_id, ConsentScope.SHARE_WITH_PARTNER, partner)
            if relied_on is None and lawful_basis is None:
                raise ConsentRequired(
                    f"referral {referral_id} to {partner} shares personal data without a"
                    " consent of scope share_with_partner for that partner or a lawful basis"
                )
        self._record(
            self.ReferralMade,
            occurred_at,
            actor,
            referral_id=referral_id,
            partner=partner,
            need=need,
            shares_personal_data=shares_personal_data,
            consent_id=relied_on,
            lawful_basis=lawful_basis if shares_personal_data else None,
            respond_by=respond_by,
        )
        self._start_support(occurred_at, actor)

    def acknowledge_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.ACKNOWLEDGED)
        self._record(self.ReferralAcknowledged, occurred_at, actor, referral_id=referral_id)

    def accept_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.ACCEPTED)
        self._record(self.ReferralAccepted, occurred_at, actor, referral_id=referral_id)

    def decline_referral(
        self, referral_id: UUID, reason: DeclineReason | None, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_can_become(referral_id, ReferralStatus.DECLINED)
        self._record(
            self.ReferralDeclined,
            occurred_at,
            actor,
            referral_id=referral_id,
            reason=reason.value if reason else None,
        )

    def complete_referral(self, referral_id: UUID, occurred_at: datetime, actor: str) -> None:
        self._referral_can_become(referral_id, ReferralStatus.COMPLETED)
        self._record(self.ReferralCompleted, occurred_at, actor, referral_id=referral_id)

    def withdraw_referral(
        self, referral_id: UUID, reason: WithdrawalReason, occurred_at: datetime, actor: str
    ) -> None:
        self._referral_can_become(referral_id, ReferralStatus.WITHDRAWN)
        self._record(
            self.ReferralWithdrawn, occurred_at, actor, referral_id=referral_id, reason=reason.value
        )

    def expire_referral(self, referral_id: UUID, now: datetime, actor: str) -> None:
        """Nothing was heard from the partner by the date it was due."""
        referral = self._referral_can_become(referral_id, ReferralStatus.EXPIRED)
        if now <= referral.respond_by:
            raise ReferralNotOverdue(f"referral {referral_id} is not overdue")
        self._record(self.ReferralExpired, now, actor, referral_id=referral_id)

    def _referral_can_become(self, referral_id: UUID, target: ReferralStatus) -> Referral:
        self._require_writable()
        referral = self._found(self.referrals, referral_id, ReferralNotFound, "referral")
        if referral.status is ReferralStatus.DECLINED:
            raise ReferralAlreadyDeclined(f"referral {referral_id} was already declined")
        if not referral.status.is_open:
            raise ReferralNotOpen(f"referral {referral_id} is {referral.status.value}")
        if referral.status not in _REFERRAL_STEPS[target]:
            raise InvalidReferralTransition(
                f"referral {referral_id} is {referral.status.value}; it cannot become"
                f" {target.value}"
            )
        return referral
