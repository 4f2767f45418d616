"""The notifications service's NATS edge: which upstream events raise notifications, set or
move reminders, or tell it who a journey's caseworker is.

Every handler ends in one ``save_once(upstream, …)`` inside the application, so a redelivered
message changes nothing; a notification's source is the identity of the upstream event (its
CloudEvents id, ``<service>:<aggregate id>:<version>``), so each rule notifies once per source
event — and never mistakes a new event for one it has seen, as a log position would after a
store is restored or in another install, where the same positions recur.
"""

from __future__ import annotations

from services.notifications.application import NotificationsApplication
from shared.contracts import (
    AppointmentScheduledV1,
    BreakGlassAccessGrantedV1,
    CaseworkerAssignedV1,
    FollowUpScheduledV1,
    JourneyOpenedV1,
    JourneyStatusChangedV1,
    NrmMilestoneV1,
    PersonErasedV1,
    ReferralStatusChangedV1,
    UrgentConcernRaisedV1,
)
from shared.contracts.streams import CASES_STREAM, VISITS_STREAM
from shared.messaging.consumer import Subscription, Upstream
from shared.messaging.handlers import handlers_calling


def inbound(app: NotificationsApplication) -> list[Subscription]:
    return [from_visits(app), from_cases(app)]


def from_visits(app: NotificationsApplication) -> Subscription:
    def on_urgent_concern(message: UrgentConcernRaisedV1, upstream: Upstream) -> None:
        app.raise_urgent_concern(message.visit_id, upstream.event_id, message.recorded_at, upstream)

    return Subscription(
        application=app,
        durable="notifications-from-visits",
        stream=VISITS_STREAM,
        handlers={UrgentConcernRaisedV1: on_urgent_concern},
    )


def from_cases(app: NotificationsApplication) -> Subscription:
    def on_journey_opened(message: JourneyOpenedV1, upstream: Upstream) -> None:
        app.note_journey_opened(message.journey_id, upstream.event_id, upstream)

    def on_caseworker_assigned(message: CaseworkerAssignedV1, upstream: Upstream) -> None:
        app.assign_caseworker(
            message.journey_id, message.caseworker_id, upstream.event_id, upstream
        )

    def on_break_glass(message: BreakGlassAccessGrantedV1, upstream: Upstream) -> None:
        app.note_break_glass(message.journey_id, message.grant_id, message.recorded_at, upstream)

    def on_referral_status(message: ReferralStatusChangedV1, upstream: Upstream) -> None:
        app.note_referral_status(message.journey_id, message.status, upstream.event_id, upstream)

    def on_person_erased(message: PersonErasedV1, upstream: Upstream) -> None:
        app.erase_journey(message.journey_id, message.recorded_at, upstream)

    return Subscription(
        application=app,
        durable="notifications-from-cases",
        stream=CASES_STREAM,
        handlers={
            JourneyOpenedV1: on_journey_opened,
            CaseworkerAssignedV1: on_caseworker_assigned,
            BreakGlassAccessGrantedV1: on_break_glass,
            ReferralStatusChangedV1: on_referral_status,
            PersonErasedV1: on_person_erased,
            # These commands take the message's own fields, under the same names.
            **handlers_calling(
                {
                    AppointmentScheduledV1: app.track_appointment,
                    FollowUpScheduledV1: app.track_follow_up,
                    NrmMilestoneV1: app.track_nrm_milestone,
                    JourneyStatusChangedV1: app.note_journey_status,
                }
            ),
        },
    )
