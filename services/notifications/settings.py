"""The notifications' settings (see partanum/settings.py)."""

from datetime import time, timedelta
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, model_validator

from partanum.config import SharedSettings
from partanum.settings import setting


def _seconds(value):
    if isinstance(value, timedelta):
        return value
    try:
        return timedelta(seconds=float(value))
    except (TypeError, ValueError):
        raise ValueError("expected a number of seconds") from None


def _web_address(url: str) -> str:
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("expected an http(s) URL")
    return url


class Settings(SharedSettings):
    # No SMS from this local time… until this one, the next morning (postponed).
    quiet_from: time = setting(time(21), "PARTANUM_QUIET_FROM")
    quiet_until: time = setting(time(8), "PARTANUM_QUIET_UNTIL")
    # Beyond this many messages a day to one resident, messages are held for staff.
    max_per_day: int = setting(5, "PARTANUM_MAX_MESSAGES_PER_DAY", ge=1)
    # A loan overdue this many days becomes a task for staff to call the resident.
    call_after_days: int = setting(7, "PARTANUM_CALL_AFTER_DAYS", ge=1)
    # A failed send is retried after 60 s, 120 s… (at most an hour apart), then failed.
    max_attempts: int = setting(5, "PARTANUM_SEND_MAX_ATTEMPTS", ge=1)
    retry_base_delay: Annotated[timedelta, BeforeValidator(_seconds)] = setting(
        timedelta(seconds=60), "PARTANUM_SEND_RETRY_BASE_DELAY"
    )
    # Email over SMTP: STARTTLS or SSL, AUTH when a username is set.
    smtp_host: str = setting("localhost", "PARTANUM_SMTP_HOST")
    smtp_port: int = setting(25, "PARTANUM_SMTP_PORT", ge=1, le=65535)
    smtp_username: str = setting("", "PARTANUM_SMTP_USERNAME")
    smtp_password: str = setting("", "PARTANUM_SMTP_PASSWORD")
    smtp_starttls: bool = setting(False, "PARTANUM_SMTP_STARTTLS")
    smtp_ssl: bool = setting(False, "PARTANUM_SMTP_SSL")
    smtp_sender: str = setting("partanum@localhost", "PARTANUM_SMTP_SENDER")
    smtp_ca_file: str = setting("", "PARTANUM_SMTP_CA_FILE")
    # SMS: "log" writes them to a local file (numbers masked), "http" sends them
    # through the gateway at sms_url.
    sms_provider: Literal["log", "http"] = setting("log", "PARTANUM_SMS_PROVIDER")
    sms_url: Annotated[str, AfterValidator(_web_address)] = setting("", "PARTANUM_SMS_URL")
    sms_api_key: str = setting("", "PARTANUM_SMS_API_KEY")
    sms_sender: str = setting("Partanum", "PARTANUM_SMS_SENDER")
    sms_log: str = setting(lambda data: str(data["data_dir"] / "sms.log"), "PARTANUM_SMS_LOG")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.sms_provider == "http" and not self.sms_url:
            raise ValueError("the http SMS provider needs its URL (PARTANUM_SMS_URL)")
        if self.smtp_starttls and self.smtp_ssl:
            raise ValueError("choose PARTANUM_SMTP_STARTTLS or PARTANUM_SMTP_SSL, not both")
        return self
