"""The services' problem+json turned into one plain-English sentence for a person.

The services' own titles of journey rules are written for people already (``ConsentRequired``:
"She has not consented to share with this partner"); the few technical ones get words here.
"""

from __future__ import annotations

_BY_SLUG = {
    # Not "someone else": a form sent twice, or sent again after its answer was lost, meets
    # its own first save.
    "precondition-failed": (
        "This record changed since you opened this form, perhaps when you saved it before. "
        "Your answers are kept below: check what changed before you save again."
    ),
    "concurrent-modification": (
        "Someone else changed this record at the same moment. Your answers are kept below: "
        "check what changed, then save again."
    ),
    "service-unavailable": (
        "Waymark could not be reached just now, so this may not have been saved. Your answers "
        "are kept below: send them again in a moment."
    ),
    "validation": "Some answers need correcting. Each one is marked below.",
    "journey-input": "One of the answers cannot be right. Check it and try again.",
    "too-large": "That is more than can be sent at once. Shorten it and try again.",
    "unsupported-media-type": "The form could not be read. Reload the page and try again.",
}
_BY_STATUS = {
    409: "This cannot be done now.",
    412: _BY_SLUG["precondition-failed"],
    413: _BY_SLUG["too-large"],
    422: _BY_SLUG["validation"],
}
#: For a 412 whose every change since the form was opened is her own.
ALREADY_SAVED = (
    "You have already saved a change to this record since you opened this form, perhaps this "
    "one. Your answers are kept below: check what you saved before you save again."
)
#: For a 412 whose every change since the form was opened is someone else's.
CHANGED_BY_OTHERS = (
    "Someone else changed this record since you opened this form. Your answers are kept "
    "below: check what changed before you save again."
)
# Problem types whose titles are technical: their status says it in plain words instead.
_GENERIC = frozenset({"", "http-404", "http-405", "http-409", "http-422", "journey-rule"})
_REASONS = (
    ("field required", "Enter an answer."),
    ("missing", "Enter an answer."),
    ("valid uuid", "Choose one from the list."),
    ("valid datetime", "Enter a date and time, for example 27/11/2026 14:30."),
    ("valid date", "Enter a date, for example 27/11/2026."),
    ("at least", "This is too short."),
    ("at most", "This is too long."),
    ("unknown", "Choose one from the list."),
    ("not a known", "Choose one from the list."),
    ("input should be", "Check this answer."),
    # An id or a code out of shape: the pattern itself means nothing to the person.
    ("should match pattern", "Check this answer: it holds a space or a character not allowed."),
    ("future", "The date cannot be in the future."),
    ("past", "The date is too far in the past."),
)


def problem_message(status: int, slug: str, title: object) -> str:
    if slug in _BY_SLUG:
        return _BY_SLUG[slug]
    if status in (404, 409, 422) and slug not in _GENERIC and isinstance(title, str) and title:
        # Journey rules (409, or 422 for a value that can never be right, 404 for an item not
        # on the journey): their titles are the rule in plain words.
        return title.rstrip(".") + "."
    return _BY_STATUS.get(status, "That could not be done. Check the answers and try again.")


def field_message(field: str, reason: str) -> str:
    lowered = reason.lower()
    for marker, sentence in _REASONS:
        if marker in lowered:
            return sentence
    # The services' reasons never echo input, so a short one can be shown as it is.
    if reason and len(reason) <= 120:
        return reason[0].upper() + reason[1:].rstrip(".") + "."
    return "Check this answer."
