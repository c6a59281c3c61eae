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
