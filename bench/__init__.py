"""Benchmarks: run from the repository root, e.g. ``python -m bench.visits_e2e``. Not tests."""
