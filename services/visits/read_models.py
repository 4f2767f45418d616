"""What the visits routes read: one typed field per read model (``ServiceParts.queries``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.visits.queries.lists.projection import PremisesDirectory, VisitList
from services.visits.queries.premises_history.projection import PremisesHistory
from services.visits.subject_contacts import SubjectContacts


@dataclass(frozen=True)
class VisitsReadModels:
    premises_history: PremisesHistory
    subject_contacts: SubjectContacts
    visit_list: VisitList
    premises_directory: PremisesDirectory
