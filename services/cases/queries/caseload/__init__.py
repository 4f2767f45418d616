"""The caseload: ``GET /journeys`` and the intake queue."""
