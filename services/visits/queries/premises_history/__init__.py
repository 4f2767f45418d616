"""The visits to one premises: ``GET /premises/{premises_id}/history``."""
