"""The notifications' settings, read from the nameko config (see partanum/config.py)."""
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Settings:
    zone: ZoneInfo
    quiet_from: time           # no SMS from this local time…
    quiet_until: time          # …until this one, the next morning
    max_per_day: int           # messages one resident may receive in a day
    call_after_days: int       # overdue this long: staff get a task to call
    max_attempts: int          # attempts of a send before it is failed
    retry_base_delay: timedelta

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(
            zone=ZoneInfo(config.get("TIMEZONE", "Europe/Paris")),
            quiet_from=time.fromisoformat(config.get("QUIET_FROM", "21:00")),
            quiet_until=time.fromisoformat(config.get("QUIET_UNTIL", "08:00")),
            max_per_day=int(config.get("MAX_MESSAGES_PER_DAY", 5)),
            call_after_days=int(config.get("CALL_AFTER_DAYS", 7)),
            max_attempts=int(config.get("SEND_MAX_ATTEMPTS", 5)),
            retry_base_delay=timedelta(seconds=float(config.get("SEND_RETRY_BASE_DELAY", 60))),
        )
