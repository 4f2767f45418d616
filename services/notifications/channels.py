"""The channels that leave the building: email over SMTP and Standard Webhooks.

Each attempt answers an ``Outcome``: delivered, or failed with a reason code and whether
retrying could help. Every attempt of a notification on a channel carries the same id (the
email's Message-ID, the webhook's ``webhook-id``), so a receiver recognises a retry that
follows an attempt whose answer was lost. Addresses are read from the configuration at the
moment of sending; they are never stored in events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import aiosmtplib
import httpx
from standardwebhooks import Webhook

from services.notifications.config import Loaded
from services.notifications.domain import Channel
from services.notifications.messages import email_message, webhook_payload


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    reason: str
    permanent: bool = False


DELIVERED = Outcome(True, "ok")

#: HTTP answers worth retrying; any other 4xx means the receiver will never take it.
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class Job:
    """One attempt to make: which notification, on which channel, to whom."""

    notification_id: UUID
    channel: str
    attempt: int
    rule: str
    recipient: str
    link: str
    requested_at: datetime

    @property
    def delivery_id(self) -> str:
        """The same on every attempt: the notification and the channel."""
        return f"{self.notification_id}.{self.channel}"


class Senders:
    def __init__(self, loaded: Loaded, timeout_s: float) -> None:
        self._loaded = loaded
        self._timeout_s = timeout_s

    async def send(self, job: Job, client: httpx.AsyncClient) -> Outcome:
        if job.channel == Channel.EMAIL:
            return await self.send_email(job)
        if job.channel == Channel.WEBHOOK:
            return await self.send_webhook(job, client)
        return Outcome(False, "unknown_channel", permanent=True)

    async def send_email(self, job: Job) -> Outcome:
        config, smtp = self._loaded.config, self._loaded.smtp
        recipient = config.recipients.get(job.recipient)
        if recipient is None or recipient.email is None or config.email is None:
            return Outcome(False, "no_address", permanent=True)
        if smtp is None:
            return Outcome(False, "no_smtp_server", permanent=True)
        message = email_message(
            notification_id=job.notification_id,
            rule=job.rule,
            url=config.link(job.link),
            sender=config.email.sender,
            to=recipient.email,
            id_domain=config.email.id_domain,
            at=datetime.now(UTC),
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            return Outcome(False, f"smtp_{max(codes, default=0)}", permanent=min(codes) >= 500)
        except (
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPAuthenticationError,
            aiosmtplib.SMTPHeloError,
        ) as error:
            # The server or our credentials: mended by someone, then a retry succeeds.
            return Outcome(False, f"smtp_{getattr(error, 'code', 'unreachable')}")
        except aiosmtplib.SMTPResponseException as error:
            return Outcome(False, f"smtp_{error.code}", permanent=error.code >= 500)
        except (TimeoutError, aiosmtplib.SMTPTimeoutError):
            return Outcome(False, "timeout")
        except (aiosmtplib.SMTPException, OSError):
            return Outcome(False, "smtp_unreachable")
        return DELIVERED

    async def send_webhook(self, job: Job, client: httpx.AsyncClient) -> Outcome:
        config = self._loaded.config
        recipient = config.recipients.get(job.recipient)
        name = None if recipient is None else recipient.webhook
        if name is None or name not in config.webhooks or name not in self._loaded.webhook_secrets:
            return Outcome(False, "no_address", permanent=True)
        payload = webhook_payload(
            notification_id=job.notification_id,
            rule=job.rule,
            url=config.link(job.link),
            recipient=job.recipient,
            requested_at=job.requested_at,
        )
        now = datetime.now(UTC)
        signature = Webhook(self._loaded.webhook_secrets[name]).sign(
            job.delivery_id, now, payload.decode()
        )
        headers = {
            "content-type": "application/json",
            "user-agent": "Waymark-Notifications/1",
            "webhook-id": job.delivery_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        try:
            response = await client.post(
                str(config.webhooks[name].url),
                content=payload,
                headers=headers,
                timeout=self._timeout_s,
            )
        except httpx.TimeoutException:
            return Outcome(False, "timeout")
        except httpx.HTTPError:
            return Outcome(False, "http_unreachable")
        status = response.status_code
        if 200 <= status < 300:
            return DELIVERED
        permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
        return Outcome(False, f"http_{status}", permanent=permanent)
