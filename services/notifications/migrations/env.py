"""Alembic environment of the notifications service (see partanum/migration_env.py)."""

from partanum.migration_env import run_migrations
from services.notifications import models

run_migrations(models.Base.metadata)
