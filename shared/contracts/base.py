"""The base of every integration event and the registry of their CloudEvents types."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, StringConstraints

# BCP 47 language tags as outreach apps send them ("ro", "pt-BR", "zh-Hant"): the shape is
# checked here; the list of languages a team offers is reference data (configuration).
_BCP47 = re.compile(
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$"
)
LanguageTag = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=35, pattern=_BCP47.pattern)
]


#: The largest integer a contract carries: every store keeps integers in signed 64 bits.
MAX_INTEGER = 2**63 - 1

# A reference-data code ("possible_minor", "ni_number"): lower snake case, never free text.
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
IndicatorSource = Literal["observed", "disclosed", "third_party"]
# An opaque id (a team's "west", a consent wording's version), never a name.
IDENTIFIER = r"^[A-Za-z0-9._:@-]{1,100}$"
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER)]
#: Who a member of staff is: the subject (``sub``) her identity provider signs into her token,
#: opaque, never a name ("cw-17", "auth0|6543f0"). Tokens are refused unless their subject
#: has this shape (``shared.security.tokens``), so whoever can sign in can also be assigned a
#: journey, be filtered by, and be published as herself.
STAFF_ID_TEXT = r"[A-Za-z0-9._:@|-]{1,200}"
STAFF_ID = rf"^{STAFF_ID_TEXT}$"
StaffId = Annotated[str, StringConstraints(pattern=STAFF_ID)]


#: A time with its UTC offset. pydantic's own type checks that in its core, a third faster
#: than a Python validator on every message a consumer reads.
AwareDatetime = pydantic.AwareDatetime

_REGISTRY: dict[str, type[IntegrationEvent]] = {}


class IntegrationEvent(BaseModel):
    # Unknown fields are ignored so that a consumer keeps working when a producer adds one.
    model_config = ConfigDict(frozen=True, extra="ignore")

    #: CloudEvents ``type``, e.g. "org.waymark.visits.contact_made.v1".
    event_type: ClassVar[str]
    #: NATS subject the relay publishes it on.
    subject: ClassVar[str]
    #: The field holding the opaque id of the aggregate it is about (CloudEvents ``subject``).
    aggregate_field: ClassVar[str]

    def __init_subclass__(cls, subject: str | None = None, **kwargs: Any) -> None:
        """A contract names its subject in its class line; its CloudEvents type is that subject
        in the organisation's namespace, so the two cannot drift apart."""
        super().__init_subclass__(**kwargs)
        if subject is not None:
            cls.subject = subject
            cls.event_type = f"org.waymark.{subject}"
            if cls.event_type in _REGISTRY:
                raise TypeError(f"duplicate contract type {cls.event_type}")
            _REGISTRY[cls.event_type] = cls

    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_field))


def contract_for_type(event_type: str) -> type[IntegrationEvent] | None:
    return _REGISTRY.get(event_type)


def registered_contracts() -> dict[str, type[IntegrationEvent]]:
    return dict(_REGISTRY)


#: What one domain event is published as: a contract, or several versions side by side.
Published = type[IntegrationEvent] | tuple[type[IntegrationEvent], ...]


def as_contract_types(published: Published | None) -> tuple[type[IntegrationEvent], ...]:
    if published is None:
        return ()
    return published if isinstance(published, tuple) else (published,)
