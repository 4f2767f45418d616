"""Persistence for the services: the event store's configuration, a small SQL store for read
models and key rings, and the per-person encryption of personal fields."""
