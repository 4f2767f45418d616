"""One journey as the caseworker reads it: ``GET /journeys/{journey_id}`` and the answer to
every journey command, folded from the journey's events when asked (no table)."""
