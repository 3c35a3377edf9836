"""Persistence: engine/session, ORM models, API schemas and the repository of queries."""
