"""Alembic environment of the gateway (see partanum/migration_env.py)."""

from partanum.migration_env import run_migrations
from services.gateway import models

run_migrations(models.Base.metadata)
