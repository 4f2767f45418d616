"""What the notifications service answers from its read models: one folder per query.

| folder | read model | query |
|---|---|---|
| ``inbox/`` | ``inbox`` | ``GET /inbox``: a recipient's in-app notifications, newest first |

The dispatch queue (``services/notifications/dispatch_queue.py``) and the journey items
(``subject_items.py``) answer no route: the dispatcher and the subject-access export read them.
"""
