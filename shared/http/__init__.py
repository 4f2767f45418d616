"""The HTTP edge every service shares: app factory, problem+json errors, limits, health."""
