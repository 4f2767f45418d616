"""The dispatcher: the only place a notification leaves the service.

A periodic job (never a projection, never a replay): it reads what is due from the
``dispatch_queue`` read model — first attempts, retries, reminders, escalations — lets the
aggregate decide, and records every step as an event: the attempt *before* it is made, its
outcome after. All its state is in the store, so a restart resumes the retry schedule where it
was, and an attempt cut short by a crash is recorded as an unknown outcome and retried with the
same Message-ID / ``webhook-id``. One dispatcher per service (run one replica, as for the relay).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from uuid import UUID

import httpx
import structlog
from eventsourcing.persistence import IntegrityError

from services.notifications.application import NotificationsApplication
from services.notifications.channels import Job, Outcome, Senders
from services.notifications.dispatch_queue import DispatchQueue
from shared.observability.metrics import observe_delivery_outcome

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


@dataclass(eq=False)
class Dispatcher:
    app: NotificationsApplication
    queue: DispatchQueue
    senders: Senders
    clock: Clock
    _: KW_ONLY
    timeout_s: float
    batch_size: int = 100
    attempts: int = field(default=0, init=False)

    def run_once(self) -> int:
        """Do everything due now; how many attempts were made."""
        now = self.clock()
        jobs: list[Job] = []
        raised: list[UUID] = []
        for item in self.queue.due(now, self.batch_size):
            try:
                if item.kind == "reminder":
                    raised += [n for n in [self.app.fire_reminder(item.item_id, now)] if n]
                elif item.kind == "escalation":
                    raised += [n for n in [self.app.escalate(item.item_id, now)] if n]
                elif item.kind == "delivery":
                    job = self.app.begin_attempt(item.item_id, item.channel, now)
                    jobs += [job] if job else []
            except IntegrityError:
                # Another writer (an acknowledgement) got in first: the next tick sees it.
                log.info("dispatch.raced", kind=item.kind, item=str(item.item_id))
            except Exception as error:  # noqa: BLE001 - one bad item must not hold up the rest
                log.warning(
                    "dispatch.item_failed",
                    kind=item.kind,
                    item=str(item.item_id),
                    error=type(error).__name__,
                )
        # What was raised just now goes out at once, not a tick later.
        for notification_id in raised:
            for channel in self.app.get_notification(notification_id).channels:
                job = self.app.begin_attempt(notification_id, channel, now)
                jobs += [job] if job else []
        if jobs:
            self._deliver(jobs)
        return len(jobs)

    def _deliver(self, jobs: Sequence[Job]) -> None:
        outcomes = asyncio.run(self._send_all(jobs))
        for job, outcome in zip(jobs, outcomes, strict=True):
            self.attempts += 1
            try:
                self.app.record_outcome(job, outcome, self.clock())
            except Exception as error:  # noqa: BLE001 - left "attempting": retried as unknown
                log.warning(
                    "dispatch.outcome_not_recorded",
                    notification_id=str(job.notification_id),
                    channel=job.channel,
                    error=type(error).__name__,
                )
                continue
            spent = outcome.permanent or job.attempt >= self.app.retry.max_attempts
            gave_up = not outcome.delivered and spent
            observe_delivery_outcome(job.channel, outcome.delivered, gave_up)
            log.info(
                "dispatch.attempted",
                notification_id=str(job.notification_id),
                rule=job.rule,
                channel=job.channel,
                attempt=job.attempt,
                delivered=outcome.delivered,
                reason=outcome.reason,
            )

    async def _send_all(self, jobs: Sequence[Job]) -> list[Outcome]:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            return list(await asyncio.gather(*(self._send(job, client) for job in jobs)))

    async def _send(self, job: Job, client: httpx.AsyncClient) -> Outcome:
        try:
            async with asyncio.timeout(self.timeout_s * 2):
                return await self.senders.send(job, client)
        except TimeoutError:
            return Outcome(False, "timeout")
        except Exception as error:  # noqa: BLE001 - an attempt's failure is an outcome, not a crash
            return Outcome(False, f"error_{type(error).__name__.lower()}"[:60])
