"""Alembic migrations for shopsync's tables."""
