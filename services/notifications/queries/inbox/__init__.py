"""The in-app inbox: ``GET /inbox``."""
