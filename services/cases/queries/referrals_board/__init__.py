"""The referrals board: ``GET /referrals``."""
