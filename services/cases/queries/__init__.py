"""What the cases service answers from its read models: one folder per query.

Each folder holds the query's projection (``projection.py``: the table, how events fill it, and
the query methods), its route (``routes.py``) and the shapes it answers with (``schemas.py``),
so a newcomer follows one query without leaving its folder. Every projection is rebuildable
from the log, and none stores personal data (names, notes, free text): only ids, codes, times.

Each folder is named after its read model (and its table):

| folder | query |
|---|---|
| ``caseload/`` | ``GET /journeys``: status, caseworker, contacts, what is due; the intake queue |
| ``journey_timeline/`` | ``GET /journeys/{id}/timeline``: her journey, newest first, both clocks |
| ``referrals_board/`` | ``GET /referrals``: by partner and status, overdue first (and expiry) |
| ``due_items/`` | ``GET /due``: follow-ups, appointments and dates coming up |
| ``statistics/`` | ``GET /statistics``: anonymised monthly counts, cells under 11 suppressed |
| ``erasure_requests/`` | ``GET /erasure-requests``: erasures asked for and approved (ids only) |

``tables.py`` holds the tables read together (the caseload shows what is due; the due list
leaves out closed journeys) and the visibility filter of every list.
"""
