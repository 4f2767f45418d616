import os

# PostgreSQL fails in its own ways (integer ranges, types, text it refuses): set
# WAYMARK_FUZZ_DATABASE_URL to fuzz the services on it rather than on SQLite; the schemas a run
# makes are dropped at its end.
DATABASE_URL = os.environ.get("WAYMARK_FUZZ_DATABASE_URL") or None
