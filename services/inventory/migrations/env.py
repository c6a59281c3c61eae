"""Alembic environment of the inventory service (see partanum/migration_env.py)."""

from partanum.migration_env import run_migrations
from services.inventory import models

run_migrations(models.Base.metadata)
