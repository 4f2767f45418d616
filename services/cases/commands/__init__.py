"""What may be asked of a journey: one small frozen command per thing a caseworker does, and
one per fact outreach learned on a visit (``outreach.py``).

``base.py`` says what a command is; each other module holds the commands of one concept of the
journey, named as in ``services/cases/journey/``. All of them are exported here, so a caller
imports ``from services.cases.commands import X`` whatever module ``X`` lives in.
"""

from __future__ import annotations

from services.cases.commands.access import AssignCaseworker, BreakGlass, ClaimJourney
from services.cases.commands.appointments import (
    CancelAppointment,
    MoveAppointment,
    RecordAttendance,
    ScheduleAppointment,
)
from services.cases.commands.assessment import AgreeSafetyPlan, AssessNeeds, AssessRisk
from services.cases.commands.base import JourneyCommand
from services.cases.commands.closure import (
    CloseJourney,
    RecordContactLost,
    RecordExit,
    RecordReturnHome,
    RecordReturnToIndustry,
    ReopenJourney,
)
from services.cases.commands.consent import GiveConsent, WithdrawConsent
from services.cases.commands.data_rights import RequestErasure
from services.cases.commands.nrm import (
    NrmDecision,
    RecordConclusiveGrounds,
    RecordFirstResponderContact,
    RecordNrmReferral,
    RecordReasonableGrounds,
    StartRecoveryPeriod,
)
from services.cases.commands.outreach import NoteConcern, NoteFollowUp, NoteIndicator, OutreachFact
from services.cases.commands.possible_minor import ClearPossibleMinor, MarkPossibleMinor
from services.cases.commands.referrals import (
    AcceptReferral,
    AcknowledgeReferral,
    CompleteReferral,
    DeclineReferral,
    ExpireReferral,
    MakeReferral,
    WithdrawReferral,
)
from services.cases.commands.registration import (
    ChangeLanguagePreferences,
    CorrectPseudonym,
    Register,
)
from services.cases.commands.support import AchieveGoal, DropGoal, RecordMeeting, SetGoal

__all__ = [
    "AcceptReferral",
    "AchieveGoal",
    "AcknowledgeReferral",
    "AgreeSafetyPlan",
    "AssessNeeds",
    "AssessRisk",
    "AssignCaseworker",
    "BreakGlass",
    "CancelAppointment",
    "ChangeLanguagePreferences",
    "ClaimJourney",
    "ClearPossibleMinor",
    "CloseJourney",
    "CompleteReferral",
    "CorrectPseudonym",
    "DeclineReferral",
    "DropGoal",
    "ExpireReferral",
    "GiveConsent",
    "JourneyCommand",
    "MakeReferral",
    "MarkPossibleMinor",
    "MoveAppointment",
    "NoteConcern",
    "NoteFollowUp",
    "NoteIndicator",
    "NrmDecision",
    "OutreachFact",
    "RecordAttendance",
    "RecordConclusiveGrounds",
    "RecordContactLost",
    "RecordExit",
    "RecordFirstResponderContact",
    "RecordMeeting",
    "RecordNrmReferral",
    "RecordReasonableGrounds",
    "RecordReturnHome",
    "RecordReturnToIndustry",
    "Register",
    "ReopenJourney",
    "RequestErasure",
    "ScheduleAppointment",
    "SetGoal",
    "StartRecoveryPeriod",
    "WithdrawConsent",
    "WithdrawReferral",
]
