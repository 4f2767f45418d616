"""What a notification says: a fixed sentence per rule and a link — never her story.

No message is built from free text or from anything the women said or are called: the only
variable parts are the link (opaque ids), the notification's own id and the rule's name. Design
every message as if the wrong person will read it on a lock screen.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from uuid import UUID

from services.notifications.domain import Rule

TITLES: dict[Rule, str] = {
    Rule.URGENT_CONCERN: "An urgent concern needs your attention",
    Rule.URGENT_CONCERN_ESCALATED: "An urgent concern has not been acknowledged yet",
    Rule.JOURNEY_OPENED: "A new support journey was opened",
    Rule.CASEWORKER_ASSIGNED: "A support journey was assigned to you",
    Rule.BREAK_GLASS_USED: "A caseworker used break-glass access to a journey",
    Rule.REFERRAL_DECLINED: "A referral was declined",
    Rule.REFERRAL_EXPIRED: "A referral expired without a response",
    Rule.APPOINTMENT_DUE: "An appointment is coming up",
    Rule.FOLLOW_UP_DUE: "A follow-up is coming up",
    Rule.REASONABLE_GROUNDS_OVERDUE: "A Reasonable Grounds decision is overdue",
    Rule.RECOVERY_PERIOD_ENDING: "A recovery period is ending soon",
}

#: Rules whose notification asks to be acknowledged (and escalates when it is not).
NEEDS_ACKNOWLEDGEMENT = frozenset({Rule.URGENT_CONCERN, Rule.URGENT_CONCERN_ESCALATED})


def title(rule: str) -> str:
    try:
        return TITLES[Rule(rule)]
    except ValueError:
        return "Something needs your attention"


def email_message(
    *,
    notification_id: UUID,
    rule: str,
    url: str,
    sender: str,
    to: str,
    id_domain: str,
    at: datetime,
) -> EmailMessage:
    """The email: the rule's sentence and the link. Its Message-ID is the notification's and
    the channel's, the same on every retry, so a receiver can recognise a repeat."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Waymark: {title(rule)}"
    message["Message-ID"] = f"<{notification_id}.email@{id_domain}>"
    message["Date"] = format_datetime(at)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    ask = (
        "Please acknowledge it in Waymark so that nobody else is called.\n\n"
        if rule in NEEDS_ACKNOWLEDGEMENT
        else ""
    )
    message.set_content(
        f"{title(rule)}.\n\n"
        f"Open it in Waymark: {url}\n\n"
        f"{ask}"
        f"This message says only that something needs attention; the details are in Waymark.\n"
        f"Reference: {notification_id}\n"
    )
    return message


def webhook_payload(
    *, notification_id: UUID, rule: str, url: str, recipient: str, requested_at: datetime
) -> bytes:
    """A Standard Webhooks payload (``type``, ``timestamp``, ``data``), byte-identical on every
    retry; only the signature headers change."""
    body = {
        "type": f"waymark.notification.{rule}",
        "timestamp": requested_at.isoformat(),
        "data": {
            "notification_id": str(notification_id),
            "rule": rule,
            "title": title(rule),
            "url": url,
            "recipient": recipient,
            "requires_acknowledgement": rule in NEEDS_ACKNOWLEDGEMENT,
        },
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
