"""Alembic environment of the audit service (see partanum/migration_env.py)."""

from partanum.migration_env import run_migrations
from services.audit import models

run_migrations(models.Base.metadata)
