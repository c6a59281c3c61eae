"""The booking's settings, read from the nameko config (see partanum/config.py)."""
from datetime import timedelta
from zoneinfo import ZoneInfo


def buffer(config) -> timedelta:
    """Between two uses of an item: charging, wiping."""
    return timedelta(minutes=config.get("BOOKING_BUFFER_MINUTES", 30))


def zone(config) -> ZoneInfo:
    """Sites' opening hours are local time there."""
    return ZoneInfo(config.get("TIMEZONE", "Europe/Paris"))


def no_show_grace(config) -> timedelta:
    """How long after its start a reservation nobody picked up is released."""
    return timedelta(minutes=config.get("BOOKING_NO_SHOW_MINUTES", 30))


def hold_hours(config) -> int:
    """How long a device freed for the first in line is kept for them."""
    return config.get("HOLD_HOURS", 48)


def anonymise_after(config) -> timedelta:
    """How long after its return a loan keeps the link to its resident."""
    return timedelta(days=config.get("ANONYMISE_AFTER_DAYS", 30))


def max_loans_per_resident(config) -> int:
    """Devices one resident may hold at once; staff may override with a reason."""
    return config.get("MAX_LOANS_PER_RESIDENT", 2)
