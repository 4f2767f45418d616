"""Her journey as a timeline: ``GET /journeys/{journey_id}/timeline``."""
