"""Public integration events: the only shapes that cross service lines.

Each contract is a versioned pydantic model with its CloudEvents ``type`` and NATS subject. They
carry opaque ids, codes, dates and language tags — never names, aliases or free text.
Adding an optional field is backwards compatible; changing a meaning is a new version.
"""

from shared.contracts.base import IntegrationEvent, contract_for_type, registered_contracts
from shared.contracts.cases import (
    AppointmentScheduledV1,
    BreakGlassAccessGrantedV1,
    CaseworkerAssignedV1,
    FollowUpScheduledV1,
    JourneyOpenedV1,
    JourneyStatusChangedV1,
    NrmMilestoneV1,
    PersonErasedV1,
    ReferralStatusChangedV1,
)
from shared.contracts.visits import (
    ContactLinkedToPersonV1,
    ContactMadeV1,
    ContactMadeV2,
    FollowUpOfferedV1,
    PersonIndicatorObservedV1,
    UrgentConcernRaisedV1,
    VisitCompletedV1,
)

__all__ = [
    "AppointmentScheduledV1",
    "BreakGlassAccessGrantedV1",
    "CaseworkerAssignedV1",
    "ContactLinkedToPersonV1",
    "ContactMadeV1",
    "ContactMadeV2",
    "FollowUpOfferedV1",
    "FollowUpScheduledV1",
    "IntegrationEvent",
    "JourneyOpenedV1",
    "JourneyStatusChangedV1",
    "NrmMilestoneV1",
    "PersonErasedV1",
    "PersonIndicatorObservedV1",
    "ReferralStatusChangedV1",
    "UrgentConcernRaisedV1",
    "VisitCompletedV1",
    "contract_for_type",
    "registered_contracts",
]
