"""The booking's settings (see partanum/settings.py)."""

from datetime import timedelta

from partanum.config import SharedSettings
from partanum.settings import setting


class Settings(SharedSettings):
    # Between two uses of an item: charging, wiping.
    buffer_minutes: int = setting(30, "PARTANUM_BOOKING_BUFFER_MINUTES", ge=0)
    # Devices one resident may hold at once; staff may override with a reason.
    max_loans_per_resident: int = setting(2, "PARTANUM_MAX_LOANS_PER_RESIDENT", ge=0)
    # A reservation nobody picked up this long after its start is released.
    no_show_minutes: int = setting(
        30, "PARTANUM_NO_SHOW_MINUTES", key="BOOKING_NO_SHOW_MINUTES", ge=0
    )
    # A device freed for the first in line is kept for them this long (pushed to
    # the site's closing time).
    hold_hours: int = setting(48, "PARTANUM_HOLD_HOURS", ge=1)
    # A returned loan is cut from its resident this many days later.
    anonymise_after_days: int = setting(30, "PARTANUM_ANONYMISE_AFTER_DAYS", ge=0)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    @property
    def no_show_grace(self) -> timedelta:
        return timedelta(minutes=self.no_show_minutes)

    @property
    def anonymise_after(self) -> timedelta:
        return timedelta(days=self.anonymise_after_days)
