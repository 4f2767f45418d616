"""Field-level encryption of personal data in stored events, one key per subject.

Domain events name their personal fields in a class attribute ``personal_fields`` and the
attribute that holds the subject's id in ``personal_subject`` (default: the aggregate id). The
mapper seals those fields with the subject's key before the event is stored and opens them when
it is read; everything else (ids, codes, dates) stays readable for projections and replays.
After erasure the fields read as ``ERASED`` and the rest of the history still folds.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from shared.storage.keyring import NONCE_BYTES, Keyring

ERASED = "<erased>"
#: A personal field decoded for a reader that never reads personal fields: left unopened, so
#: neither its plaintext nor its key is fetched (erasure is untouched: nothing is opened).
NOT_OPENED = "<not opened>"
SEALED_PREFIX = "wm1:"


#: Asked for every event stored and read; a class's personal fields never change.
_PERSONAL_FIELDS: dict[type[object], tuple[str, ...]] = {}


def personal_fields_of(event_class: type[object]) -> tuple[str, ...]:
    fields = _PERSONAL_FIELDS.get(event_class)
    if fields is None:
        fields = _PERSONAL_FIELDS[event_class] = tuple(getattr(event_class, "personal_fields", ()))
    return fields


def subject_of(event: object) -> UUID:
    attribute = getattr(type(event), "personal_subject", "originator_id")
    subject = getattr(event, attribute)
    return subject if isinstance(subject, UUID) else UUID(str(subject))


class PersonalDataMapper(Mapper[UUID]):
    def __init__(self, transcoder: Transcoder, keyring: Keyring) -> None:
        super().__init__(transcoder=transcoder)
        self.keyring = keyring

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        fields = personal_fields_of(type(domain_event))
        if not fields:
            return super().to_stored_event(domain_event)
        subject = subject_of(domain_event)
        key = self.keyring.key_for(subject, create=True)
        assert key is not None
        state = dict(vars(domain_event))
        for field in fields:
            if state.get(field) is not None:
                state[field] = _seal(key, subject, field, state[field])
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        return self._opened(super().to_domain_event(stored_event))

    def to_domain_events(
        self, stored_events: Sequence[StoredEvent], *, open_personal: bool = True
    ) -> list[DomainEventProtocol[UUID]]:
        """Many at once (a batch of the log): every person's key read in one query, not one
        query per person. Without ``open_personal`` no key is read and every sealed personal
        field reads as ``NOT_OPENED`` (for readers that never look at them)."""
        events = [super(PersonalDataMapper, self).to_domain_event(s) for s in stored_events]
        if not open_personal:
            return [_unopened(event) for event in events]
        self.keyring.preload({subject_of(e) for e in events if personal_fields_of(type(e))})
        return [self._opened(event) for event in events]

    def _opened(self, event: DomainEventProtocol[UUID]) -> DomainEventProtocol[UUID]:
        fields = personal_fields_of(type(event))
        if fields:
            subject = subject_of(event)
            key = self.keyring.key_for(subject, create=False)
            for field in fields:
                value = event.__dict__.get(field)
                if isinstance(value, str) and value.startswith(SEALED_PREFIX):
                    event.__dict__[field] = (
                        ERASED if key is None else _open(key, subject, field, value)
                    )
        return event


def _unopened(event: DomainEventProtocol[UUID]) -> DomainEventProtocol[UUID]:
    for field in personal_fields_of(type(event)):
        value = event.__dict__.get(field)
        if isinstance(value, str) and value.startswith(SEALED_PREFIX):
            event.__dict__[field] = NOT_OPENED
    return event


def _aad(subject: UUID, field: str) -> bytes:
    # Binds each ciphertext to its subject and field, so one cannot be moved onto another.
    return subject.bytes + field.encode()


def _seal(key: bytes, subject: UUID, field: str, value: Any) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(value, separators=(",", ":")).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(subject, field))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode()


def _open(key: bytes, subject: UUID, field: str, sealed: str) -> Any:
    raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :])
    try:
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(subject, field))
    except InvalidTag as error:
        raise ValueError(f"personal field {field!r} failed authentication") from error
    return json.loads(plaintext)
