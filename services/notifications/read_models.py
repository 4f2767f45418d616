"""What the notifications routes read: one typed field per read model (``ServiceParts.queries``)."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.dispatch_queue import DispatchQueue
from services.notifications.dispatcher import Dispatcher
from services.notifications.queries.inbox.projection import Inbox
from services.notifications.subject_items import JourneyItems


@dataclass(frozen=True)
class NotificationsReadModels:
    inbox: Inbox
    dispatch_queue: DispatchQueue
    journey_items: JourneyItems
    #: Sends what the dispatch queue holds; run by a periodic task, reachable for operators' tools.
    dispatcher: Dispatcher
