"""What one outreach visit holds at most (the API states the same bounds in its OpenAPI).

A team meets a handful of women on a visit; these leave room for the busiest night and keep a
visit to a few hundred events, so that one visit cannot hold up everyone else's on the way to
cases.
"""

from __future__ import annotations

MAX_CONTACTS = 30
MAX_INDICATORS_PER_CONTACT = 30
MAX_PERSON_INDICATORS = 150
MAX_PREMISES_INDICATORS = 30
MAX_FOLLOW_UPS = 30
MAX_URGENT_CONCERNS = 20
MAX_LANGUAGES = 10
MAX_VOLUNTEERS = 20
MAX_MATERIALS = 20
