"""Alembic environment of the booking service (see partanum/migration_env.py)."""

from partanum.migration_env import run_migrations
from services.booking import models

run_migrations(models.Base.metadata)
