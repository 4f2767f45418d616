"""Admin tools over any service's event store: history and as-of (replay, audit)."""
