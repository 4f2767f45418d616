"""Where her journey leads: leaving the sex industry (reversible, no judgement), returning
home, contact lost, and her case closed and reopened."""

from __future__ import annotations

from datetime import datetime

from services.cases.journey.base import JourneyError, JourneyFact, JourneyPart
from services.cases.values import JourneyStatus, ReopenReason


class JourneyNotClosed(JourneyError):
    """The journey is not closed, so it cannot be reopened."""


class OpenReferralsRemain(JourneyError):
    """Referrals are still open: withdraw or finish them before closing the journey."""


class AlreadyExited(JourneyError):
    """Her exit from the sex industry is already recorded."""


class NotExited(JourneyError):
    """No exit from the sex industry is recorded, so there is nothing to reverse."""


class AlreadyReturnedHome(JourneyError):
    """Her return home is already recorded."""


class ContactAlreadyLost(JourneyError):
    """Contact is already recorded as lost."""


class Closure(JourneyPart):
    class ExitedSexIndustry(JourneyFact):
        """She has left the sex industry (reversible, no judgement)."""

        def apply(self, journey: JourneyPart) -> None:
            journey.exited_at = self.occurred_at

    class ReturnedToSexIndustry(JourneyFact):
        """She has returned to the sex industry."""

        def apply(self, journey: JourneyPart) -> None:
            journey.exited_at = None

    class ReturnedHome(JourneyFact):
        """She returned home, assisted or not."""

        assisted: bool

        def apply(self, journey: JourneyPart) -> None:
            journey.returned_home_at = self.occurred_at

    class ContactLost(JourneyFact):
        """The charity lost contact with her."""

        def apply(self, journey: JourneyPart) -> None:
            journey.contact_lost_at = self.occurred_at

    class CaseClosed(JourneyFact):
        """Her case closed, with a reason."""

        reason: str

        def apply(self, journey: JourneyPart) -> None:
            journey.status = JourneyStatus.CLOSED
            journey.closed_at = self.occurred_at

    class CaseReopened(JourneyFact):
        """Her case reopened."""

        reason: str | None

        def apply(self, journey: JourneyPart) -> None:
            journey.status = JourneyStatus.ACTIVE

    @property
    def exited(self) -> bool:
        return self.exited_at is not None

    def record_exit(self, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if self.exited:
            raise AlreadyExited(f"journey {self.id}")
        self._record(self.ExitedSexIndustry, occurred_at, actor)

    def record_return_to_industry(self, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if not self.exited:
            raise NotExited(f"journey {self.id}")
        self._record(self.ReturnedToSexIndustry, occurred_at, actor)

    def record_return_home(self, assisted: bool, occurred_at: datetime, actor: str) -> None:
        self._require_registered()
        if self.returned_home_at is not None:
            raise AlreadyReturnedHome(f"journey {self.id}")
        self._record(self.ReturnedHome, occurred_at, actor, assisted=assisted)

    def record_contact_lost(self, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        if self.contact_lost_at is not None:
            raise ContactAlreadyLost(f"journey {self.id}")
        self._record(self.ContactLost, occurred_at, actor)

    def close(self, reason: str, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        still_open = [str(r.referral_id) for r in self.referrals.values() if r.status.is_open]
        if still_open:
            raise OpenReferralsRemain(f"open referrals: {', '.join(still_open)}")
        self._record(self.CaseClosed, occurred_at, actor, reason=reason)

    def reopen(self, reason: ReopenReason | None, occurred_at: datetime, actor: str) -> None:
        self._require_not_merged()
        if self.status is not JourneyStatus.CLOSED:
            raise JourneyNotClosed(f"journey {self.id} is {self.status.value}")
        self._record(self.CaseReopened, occurred_at, actor, reason=reason.value if reason else None)
