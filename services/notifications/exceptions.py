"""The notifications' refusals: only those every service shares (partanum.errors)."""
from partanum.errors import Conflict, InvalidInput, NotFound  # noqa: F401
