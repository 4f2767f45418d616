"""Erasure requests: asked for, approved, listed (``GET /erasure-requests``)."""
