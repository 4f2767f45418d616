"""The notifications configuration: rules, lead times, the on-call rota, recipients and their
channels, webhooks and bank holidays — a JSON file validated at start.

Staff are opaque ids (``user:cw-17``) and roles (``role:caseworker``); their email addresses and
webhook endpoints are configuration, never events. Nothing about the women is configured here.
Webhook secrets come from a file (``secret_file``) or from the setting
``WAYMARK_NOTIFICATIONS_WEBHOOK_SECRETS``, never from this file itself. A service with an
invalid configuration refuses to start.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from dataclasses import dataclass
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationError,
    model_validator,
)
from standardwebhooks import Webhook

from services.notifications.addresses import ADDRESS
from services.notifications.domain import Channel, Rule
from services.notifications.workdays import Nation, WorkingCalendar
from shared.contracts.base import StaffId
from shared.settings import Settings

Address = Annotated[str, StringConstraints(pattern=ADDRESS)]
WebhookName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
EmailAddress = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$"),
]


class InvalidConfiguration(ValueError):
    """The notifications configuration cannot be used: the service must not start."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleSwitch(_Strict):
    enabled: bool = True


class UrgentConcernRule(RuleSwitch):
    #: Not acknowledged within this many minutes: the deputy is told as well.
    escalate_after_minutes: float = Field(default=15.0, gt=0, le=24 * 60)


class ReminderRule(RuleSwitch):
    #: Remind on this many days before the due day, at ``reminder_time`` local time.
    days_before: int = Field(default=1, ge=0, le=90)


class RecoveryPeriodRule(RuleSwitch):
    days_before: int = Field(default=7, ge=0, le=90)


class ReasonableGroundsRule(RuleSwitch):
    #: The Home Office's target for a Reasonable Grounds decision, in working days.
    working_days: int = Field(default=5, ge=1, le=60)


class Rules(_Strict):
    urgent_concern: UrgentConcernRule = UrgentConcernRule()
    journey_opened: RuleSwitch = RuleSwitch()
    caseworker_assigned: RuleSwitch = RuleSwitch()
    break_glass_used: RuleSwitch = RuleSwitch()
    referral_declined: RuleSwitch = RuleSwitch()
    referral_expired: RuleSwitch = RuleSwitch()
    appointment_due: ReminderRule = ReminderRule()
    follow_up_due: ReminderRule = ReminderRule()
    reasonable_grounds_overdue: ReasonableGroundsRule = ReasonableGroundsRule()
    recovery_period_ending: RecoveryPeriodRule = RecoveryPeriodRule()

    def enabled(self, rule: Rule) -> bool:
        name = Rule.URGENT_CONCERN if rule is Rule.URGENT_CONCERN_ESCALATED else rule
        switch: RuleSwitch = getattr(self, name.value)
        return switch.enabled


class Shift(_Strict):
    """Who is the safeguarding lead (and deputy) on call from one date to another, inclusive."""

    starts_on: date
    ends_on: date
    lead: StaffId
    deputy: StaffId | None = None

    @model_validator(mode="after")
    def _sane(self) -> Shift:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.deputy == self.lead:
            raise ValueError("the deputy must be someone other than the lead")
        return self


class OnCall(_Strict):
    rota: list[Shift] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _no_overlaps(self) -> OnCall:
        shifts = sorted(self.rota, key=lambda s: s.starts_on)
        for before, after in itertools.pairwise(shifts):
            if after.starts_on <= before.ends_on:
                raise ValueError(f"rota shifts overlap on {after.starts_on.isoformat()}")
        return self

    def shift_on(self, day: date) -> Shift | None:
        return next((s for s in self.rota if s.starts_on <= day <= s.ends_on), None)


class Roles(_Strict):
    #: Who hears about a journey that has no caseworker yet (and every newly opened journey).
    intake: Address = "role:caseworker"
    #: Who hears about an urgent concern when the rota names nobody for that day.
    safeguarding: Address = "role:safeguarding_lead"


class Recipient(_Strict):
    """One person's or role's channels besides the inbox, and where to reach them."""

    channels: list[Channel] = Field(default_factory=list, max_length=2)
    #: Per-rule choices that replace ``channels`` for that rule (``[]``: the inbox only).
    rules: dict[Rule, list[Channel]] = Field(default_factory=dict)
    email: EmailAddress | None = None
    webhook: WebhookName | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Recipient:
        wanted = set(self.channels) | {c for chosen in self.rules.values() for c in chosen}
        if Channel.EMAIL in wanted and self.email is None:
            raise ValueError("email is a chosen channel but no email address is given")
        if Channel.WEBHOOK in wanted and self.webhook is None:
            raise ValueError("webhook is a chosen channel but no webhook is named")
        return self

    def channels_for(self, rule: Rule) -> list[Channel]:
        return list(dict.fromkeys(self.rules.get(rule, self.channels)))


class WebhookEndpoint(_Strict):
    url: HttpUrl
    #: A file holding the ``whsec_…`` secret; otherwise WAYMARK_NOTIFICATIONS_WEBHOOK_SECRETS.
    secret_file: Path | None = None


class EmailConfig(_Strict):
    sender: EmailAddress
    #: The right-hand side of Message-IDs (default: the sender's domain).
    message_id_domain: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]{1,253}$")

    @property
    def id_domain(self) -> str:
        return self.message_id_domain or self.sender.rsplit("@", 1)[1]


class BankHolidays(_Strict):
    """The nation's bank holidays come from the ``holidays`` package; these adjust them."""

    nation: Nation = Nation.ENGLAND_AND_WALES
    #: Other days the charity is closed (a closure day, a one-off holiday proclaimed after
    #: the installed ``holidays`` release).
    closed_on: list[date] = Field(default_factory=list, max_length=2_000)
    #: Bank holidays the charity works through.
    open_on: list[date] = Field(default_factory=list, max_length=2_000)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.nation, closed_on=self.closed_on, open_on=self.open_on)


class NotificationsConfig(_Strict):
    #: Where staff open Waymark: links in emails and webhooks are this plus the path.
    base_url: HttpUrl
    timezone: str = "Europe/London"
    #: Local time at which day-before and week-before reminders fire.
    reminder_time: time = time(9, 0)
    rules: Rules = Rules()
    roles: Roles = Roles()
    on_call: OnCall = OnCall()
    email: EmailConfig | None = None
    webhooks: dict[WebhookName, WebhookEndpoint] = Field(default_factory=dict)
    recipients: dict[Address, Recipient] = Field(default_factory=dict)
    bank_holidays: BankHolidays = BankHolidays()

    @model_validator(mode="after")
    def _consistent(self) -> NotificationsConfig:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        for address, recipient in self.recipients.items():
            if recipient.webhook is not None and recipient.webhook not in self.webhooks:
                raise ValueError(
                    f"recipients.{address}: webhook {recipient.webhook!r} is not defined"
                )
            if recipient.email is not None and self.email is None:
                raise ValueError(f"recipients.{address}: an email address needs an email.sender")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def link(self, path: str) -> str:
        return str(self.base_url).rstrip("/") + path


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str


@dataclass(frozen=True)
class Loaded:
    """The validated configuration, with the secrets and servers it needs resolved."""

    config: NotificationsConfig
    webhook_secrets: dict[str, str]
    smtp: SmtpServer | None


def load_config(settings: Settings) -> Loaded:
    """Read, validate and cross-check the configuration; raise ``InvalidConfiguration``."""
    path = settings.notifications_config_file
    try:
        if path is None:
            text = resources.files("services.notifications").joinpath("notifications.json")
            raw = json.loads(text.read_text())
        else:
            raw = json.loads(path.read_text())
        config = NotificationsConfig.model_validate(raw)
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidConfiguration(f"cannot read {path}: {type(error).__name__}") from None
    except ValidationError as error:
        # Fields and reasons only: the values (addresses, urls) are not repeated in logs.
        reasons = [
            ".".join(str(part) for part in issue["loc"]) + ": " + issue["msg"]
            for issue in error.errors(include_input=False, include_url=False)
        ]
        raise InvalidConfiguration("; ".join(reasons)) from None
    return Loaded(config, _webhook_secrets(config, settings), _smtp(config, settings))


def _webhook_secrets(config: NotificationsConfig, settings: Settings) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for name, endpoint in config.webhooks.items():
        from_settings = settings.notifications_webhook_secrets.get(name)
        if endpoint.secret_file is not None:
            try:
                secret = endpoint.secret_file.read_text().strip()
            except OSError as error:
                raise InvalidConfiguration(
                    f"webhooks.{name}: cannot read its secret_file ({type(error).__name__})"
                ) from None
        elif from_settings is not None:
            secret = from_settings.get_secret_value()
        else:
            raise InvalidConfiguration(
                f"webhooks.{name}: no secret"
                " (secret_file, or WAYMARK_NOTIFICATIONS_WEBHOOK_SECRETS)"
            )
        problem = _secret_problem(secret)
        if problem is not None:
            raise InvalidConfiguration(f"webhooks.{name}: the secret {problem}")
        secrets[name] = secret
    return secrets


def _secret_problem(secret: str) -> str | None:
    """Why a Standard Webhooks secret is unusable (``whsec_`` + base64 of 24 to 64 bytes)."""
    if not secret.startswith("whsec_"):
        return "must be whsec_ followed by base64"
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        return "must be whsec_ followed by base64"
    if not 24 <= len(key) <= 64:
        return "is too short (24 to 64 random bytes)" if len(key) < 24 else "is too long"
    Webhook(secret)  # and the library itself takes it
    return None


def _smtp(config: NotificationsConfig, settings: Settings) -> SmtpServer | None:
    uses_email = any(
        Channel.EMAIL in r.channels or any(Channel.EMAIL in c for c in r.rules.values())
        for r in config.recipients.values()
    )
    if settings.smtp_host is None:
        if uses_email:
            raise InvalidConfiguration("recipients choose email but WAYMARK_SMTP_HOST is not set")
        return None
    if settings.smtp_username is not None and settings.smtp_security == "none":
        raise InvalidConfiguration(
            "SMTP credentials are only sent over TLS (WAYMARK_SMTP_SECURITY)"
        )
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=None
        if settings.smtp_password is None
        else settings.smtp_password.get_secret_value(),
        security=settings.smtp_security,
    )
