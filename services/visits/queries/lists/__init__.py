"""The lists the apps page through: ``GET /visits`` and ``GET /premises``."""
