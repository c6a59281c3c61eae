"""The audit's settings (see partanum/settings.py): only those every service shares."""

from partanum.config import SharedSettings


class Settings(SharedSettings):
    pass
