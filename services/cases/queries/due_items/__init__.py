"""What is due on open journeys: ``GET /due``."""
