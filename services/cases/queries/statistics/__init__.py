"""Anonymised monthly counts: ``GET /statistics``."""
