"""What the visits service answers from its read models: one folder per query.

Each folder holds the query's projection (``projection.py``), its routes (``routes.py``) and the
shapes it answers with, so one query is followed without leaving its folder. Every projection is
rebuildable from the log and copies no alias, label or concern details: ids, codes and times.

| folder | read models | query |
|---|---|---|
| ``lists/`` | ``visit_list``, ``premises_directory`` | ``GET /visits``, ``GET /premises`` |
| ``premises_history/`` | ``premises_history`` | ``GET /premises/{id}/history`` |

``subject_contacts`` (``services/visits/subject_contacts.py``) answers no route of its own: the
subject-access export reads it.
"""
