"""Her data rights: a subject-access export made (UK GDPR Art. 15), and erasure by
crypto-shredding — asked for by one person, approved by a second. Ids and codes only, never
her data."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.journey.base import JourneyError, JourneyFact, JourneyPart
from services.cases.values import ErasureReason, ErasureRequest


class ErasureAlreadyRequested(JourneyError):
    """Someone else has already asked for this erasure; an admin must decide on that request."""


class NoErasureRequested(JourneyError):
    """There is no pending erasure request to approve."""


class ErasureNeedsSecondPerson(JourneyError):
    """An erasure must be approved by someone other than the person who asked for it."""


class DataRights(JourneyPart):
    class SubjectAccessFulfilled(JourneyFact):
        """An export of everything held about her was made (ids only: the export is not here)."""

        request_id: UUID

    class ErasureRequested(JourneyFact):
        """Someone asked for her personal data to be erased (a reason code, no free text)."""

        request_id: UUID
        reason: str
        requested_by: str

        def apply(self, journey: JourneyPart) -> None:
            journey.erasure_request = ErasureRequest(
                self.request_id, ErasureReason(self.reason), self.requested_by, self.occurred_at
            )

    class PersonErased(JourneyFact):
        """A second person approved the erasure: her keys are destroyed, so every personal field
        sealed under them reads as ``<erased>``; the contacts named are erased by visits."""

        request_id: UUID
        approved_by: str
        contact_ids: list[UUID]

        def apply(self, journey: JourneyPart) -> None:
            journey.erased_at = self.occurred_at
            journey.erased_by = self.approved_by

    def record_subject_access(self, request_id: UUID, occurred_at: datetime, actor: str) -> None:
        """Recorded whatever her journey's status (a fact about her data, not casework) —
        unless she was erased: nothing may be added to an erased journey."""
        self._require_not_erased()
        self._record(self.SubjectAccessFulfilled, occurred_at, actor, request_id=request_id)

    @property
    def all_contact_ids(self) -> list[UUID]:
        """Every contact outreach knew her by: the one that opened the journey, those recorded
        on it and those linked to her (sorted, so the answer is the same on every fold)."""
        found = {contact_id for _, contact_id in self.contacts + self.linked_contacts}
        if self.contact_id is not None:
            found.add(self.contact_id)
        return sorted(found, key=str)

    def request_erasure(
        self, request_id: UUID, reason: ErasureReason, occurred_at: datetime, actor: str
    ) -> None:
        """One pending request at a time; the same person asking again changes nothing."""
        self._require_not_merged()
        pending = self.erasure_request
        if pending is not None:
            if pending.requested_by == actor:
                return
            raise ErasureAlreadyRequested(f"journey {self.id} has a pending erasure request")
        self._record(
            self.ErasureRequested,
            occurred_at,
            actor,
            request_id=request_id,
            reason=reason.value,
            requested_by=actor,
        )

    def approve_erasure(self, occurred_at: datetime, actor: str) -> None:
        """Four eyes: the approver is not the requester. Approving an erased journey again
        changes nothing (a retry after a lost response)."""
        if self.erased:
            return
        pending = self.erasure_request
        if pending is None:
            raise NoErasureRequested(f"journey {self.id} has no pending erasure request")
        if pending.requested_by == actor:
            raise ErasureNeedsSecondPerson(f"request {pending.request_id}")
        self._record(
            self.PersonErased,
            occurred_at,
            actor,
            request_id=pending.request_id,
            approved_by=actor,
            contact_ids=self.all_contact_ids,
        )
