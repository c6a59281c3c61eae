"""The notifications' refusals: only those every service shares (partanum.errors)."""

from partanum.errors import Conflict, InvalidInput, NotFound

__all__ = ["Conflict", "InvalidInput", "NotFound"]
