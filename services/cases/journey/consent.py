"""Her consents: given for a scope (store her data, share it with a partner, an NRM referral)
to a wording version, and withdrawn — her right, which holds on a closed journey too."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from services.cases.journey.base import (
    JourneyError,
    JourneyFact,
    JourneyInputError,
    JourneyItemNotFound,
    JourneyPart,
)
from services.cases.values import Consent, ConsentScope


class ConsentNotFound(JourneyItemNotFound):
    """No such consent on this journey."""


class ConsentAlreadyWithdrawn(JourneyError):
    """This consent was already withdrawn."""


class ConsentConflict(JourneyError):
    """This consent id is already recorded with different content."""


class PartnerRequired(JourneyInputError):
    """A consent to share with a partner must name the partner."""


class PartnerNotExpected(JourneyInputError):
    """Only a consent to share with a partner names a partner."""


class ConsentDoesNotCover(JourneyError):
    """The consent named does not cover this (scope, partner, or withdrawn)."""


class Consents(JourneyPart):
    class ConsentGiven(JourneyFact):
        """She consented for a scope (store, share with a partner, NRM), to a wording version."""

        consent_id: UUID
        scope: str
        partner: str | None
        wording_version: str

        def apply(self, journey: JourneyPart) -> None:
            journey.consents[self.consent_id] = Consent(
                self.consent_id,
                ConsentScope(self.scope),
                self.partner,
                self.wording_version,
                self.occurred_at,
            )

    class ConsentWithdrawn(JourneyFact):
        """She withdrew a consent."""

        consent_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            consents = journey.consents
            consents[self.consent_id] = replace(
                consents[self.consent_id], withdrawn_at=self.occurred_at
            )
            # Open referrals that share her data on this consent alone need a caseworker's
            # decision (withdraw the referral, or record why it may continue); they are flagged,
            # not dropped.
            for referral in list(journey.referrals.values()):
                if (
                    referral.consent_id == self.consent_id
                    and referral.lawful_basis is None
                    and referral.status.is_open
                ):
                    journey.referrals[referral.referral_id] = replace(
                        referral, consent_withdrawn=True
                    )

    def give_consent(
        self,
        consent_id: UUID,
        scope: ConsentScope,
        partner: str | None,
        wording_version: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        if self._is_retry(
            self.consents,
            consent_id,
            lambda it: (
                (it.scope, it.partner, it.wording_version) == (scope, partner, wording_version)
            ),
            ConsentConflict,
            "consent",
        ):
            return
        if scope is ConsentScope.SHARE_WITH_PARTNER and partner is None:
            raise PartnerRequired(f"consent {consent_id} has scope {scope.value}")
        if scope is not ConsentScope.SHARE_WITH_PARTNER and partner is not None:
            raise PartnerNotExpected(f"consent {consent_id} has scope {scope.value}")
        self._require_registered()
        self._record(
            self.ConsentGiven,
            occurred_at,
            actor,
            consent_id=consent_id,
            scope=scope.value,
            partner=partner,
            wording_version=wording_version,
        )

    def withdraw_consent(self, consent_id: UUID, occurred_at: datetime, actor: str) -> None:
        # Her right to withdraw holds on a closed journey too: the data is still held.
        self._require_not_merged()
        consent = self._consent(consent_id)
        if not consent.active:
            raise ConsentAlreadyWithdrawn(f"consent {consent_id} was already withdrawn")
        self._record(self.ConsentWithdrawn, occurred_at, actor, consent_id=consent_id)

    def _consent(self, consent_id: UUID) -> Consent:
        return self._found(self.consents, consent_id, ConsentNotFound, "consent")

    def _consent_covering(
        self, consent_id: UUID | None, scope: ConsentScope, partner: str | None = None
    ) -> UUID | None:
        """The consent relied on: the one named (which must cover it), else her latest."""
        if consent_id is not None:
            if not self._consent(consent_id).covers(scope, partner):
                raise ConsentDoesNotCover(f"consent {consent_id} does not cover {scope.value}")
            return consent_id
        covering = [c for c in self.consents.values() if c.covers(scope, partner)]
        return covering[-1].consent_id if covering else None
