"""Configuration from environment variables, with defaults that run on a laptop.

Every service process builds its nameko config with `nameko_config()`; tests build
the same dict with their own broker vhost and database URLs.
"""
import os
import secrets
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"
SERVICES = ("inventory", "booking", "notifications", "audit", "gateway")


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def data_dir() -> Path:
    return Path(os.environ.get("PARTANUM_DATA_DIR", "var"))


def database_url(service: str) -> str:
    """`INVENTORY_DATABASE_URL` and so on; an SQLite file under the data dir by default."""
    default = f"sqlite:///{data_dir() / (service + '.sqlite3')}"
    return os.environ.get(f"{service.upper()}_DATABASE_URL", default)


def date_horizon_days() -> int:
    """How far ahead an input's dates may go (every input schema reads it: partanum.inputs)."""
    return _int("PARTANUM_DATE_HORIZON_DAYS", 365)


def secret_key(config: dict) -> bytes:
    """The key of keyed hashes and signatures (PARTANUM_SECRET_KEY). Without one, as
    on a laptop, a random key kept in the data directory: created once, so that the
    hashes it made still match after a restart."""
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"].encode("utf-8")
    path = data_dir() / "secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole, then linked into place: of two processes starting at once,
        # the first link wins and both read the same key.
        fresh = path.with_name(f"secret.key.{os.getpid()}")
        fresh.write_text(secrets.token_hex(32))
        fresh.chmod(0o600)
        try:
            os.link(fresh, path)
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    return path.read_bytes().strip()


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0") not in ("0", "", "false", "no")


def nameko_config(services=SERVICES) -> dict:
    return {
        "AMQP_URI": amqp_uri(),
        "max_workers": _int("PARTANUM_MAX_WORKERS", 10),
        "DATABASE_URLS": {name: database_url(name) for name in services},
        # Keys the hashes of residents' past details and signs rebalancing suggestions.
        "SECRET_KEY": os.environ.get("PARTANUM_SECRET_KEY", ""),
        # A handler that raises is retried after 1 s, 2 s, 4 s... and parked
        # in its dead-letter queue after the last attempt.
        "RETRY_MAX_ATTEMPTS": _int("PARTANUM_RETRY_MAX_ATTEMPTS", 5),
        "RETRY_BASE_DELAY": _float("PARTANUM_RETRY_BASE_DELAY", 1.0),
        # The relay publishes right after each commit; the poll only picks up
        # what an earlier process committed and could not publish.
        "RELAY_POLL_INTERVAL": _float("PARTANUM_RELAY_POLL_INTERVAL", 2.0),
        "RELAY_ENABLED": os.environ.get("PARTANUM_RELAY_ENABLED", "1") != "0",
        # Sites' opening hours are local time there.
        "TIMEZONE": os.environ.get("PARTANUM_TIMEZONE", "Europe/Paris"),
        # Between two uses of an item: charging, wiping.
        "BOOKING_BUFFER_MINUTES": _int("PARTANUM_BOOKING_BUFFER_MINUTES", 30),
        # Devices one resident may hold at once (staff may override, with a reason).
        "MAX_LOANS_PER_RESIDENT": _int("PARTANUM_MAX_LOANS_PER_RESIDENT", 2),
        # A reservation nobody picked up this long after its start is released.
        "BOOKING_NO_SHOW_MINUTES": _int("PARTANUM_NO_SHOW_MINUTES", 30),
        # A device freed for the first resident in line is kept for them this long
        # (pushed to the site's closing time).
        "HOLD_HOURS": _int("PARTANUM_HOLD_HOURS", 48),
        # A returned loan is cut from its resident this many days later.
        "ANONYMISE_AFTER_DAYS": _int("PARTANUM_ANONYMISE_AFTER_DAYS", 30),
        # Notifications: no SMS between these local times (postponed to the morning).
        "QUIET_FROM": os.environ.get("PARTANUM_QUIET_FROM", "21:00"),
        "QUIET_UNTIL": os.environ.get("PARTANUM_QUIET_UNTIL", "08:00"),
        # Beyond this many messages a day to one resident, messages are held for staff.
        "MAX_MESSAGES_PER_DAY": _int("PARTANUM_MAX_MESSAGES_PER_DAY", 5),
        # A loan overdue this many days becomes a task for staff to call the resident.
        "CALL_AFTER_DAYS": _int("PARTANUM_CALL_AFTER_DAYS", 7),
        # A failed send is retried after 60 s, 120 s… (at most an hour apart), then failed.
        "SEND_MAX_ATTEMPTS": _int("PARTANUM_SEND_MAX_ATTEMPTS", 5),
        "SEND_RETRY_BASE_DELAY": _float("PARTANUM_SEND_RETRY_BASE_DELAY", 60.0),
        # Notifications: email over SMTP (STARTTLS or SSL, AUTH when a username is set).
        "SMTP_HOST": os.environ.get("PARTANUM_SMTP_HOST", "localhost"),
        "SMTP_PORT": _int("PARTANUM_SMTP_PORT", 25),
        "SMTP_USERNAME": os.environ.get("PARTANUM_SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("PARTANUM_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("PARTANUM_SMTP_STARTTLS", False),
        "SMTP_SSL": _flag("PARTANUM_SMTP_SSL", False),
        "SMTP_SENDER": os.environ.get("PARTANUM_SMTP_SENDER", "partanum@localhost"),
        "SMTP_CA_FILE": os.environ.get("PARTANUM_SMTP_CA_FILE", ""),
        # SMS: "log" writes them to a local file (numbers masked), "http" sends them
        # through the gateway at SMS_URL.
        "SMS_PROVIDER": os.environ.get("PARTANUM_SMS_PROVIDER", "log"),
        "SMS_URL": os.environ.get("PARTANUM_SMS_URL", ""),
        "SMS_API_KEY": os.environ.get("PARTANUM_SMS_API_KEY", ""),
        "SMS_SENDER": os.environ.get("PARTANUM_SMS_SENDER", "Partanum"),
        "SMS_LOG": os.environ.get("PARTANUM_SMS_LOG", str(data_dir() / "sms.log")),
        # Gateway: where it serves HTTP, and how long it waits for a service's answer
        # before telling the client 503 (try again).
        "WEB_SERVER_ADDRESS": os.environ.get("PARTANUM_HTTP_ADDRESS", "0.0.0.0:8000"),
        "RPC_TIMEOUT": _float("PARTANUM_RPC_TIMEOUT", 15.0),
        # The largest request body the gateway reads (a CSV import of 5 million
        # characters fits); a larger one is answered 413 before it is read.
        "MAX_BODY_BYTES": _int("PARTANUM_MAX_BODY_BYTES", 10 * 1024 * 1024),
        # Reverse proxies in front of the gateway whose X-Forwarded-For is trusted.
        "TRUSTED_PROXIES": _int("PARTANUM_TRUSTED_PROXIES", 0),
        # Sign-in: token lifetimes, and attempts allowed per 15-minute window.
        "STAFF_TOKEN_HOURS": _int("PARTANUM_STAFF_TOKEN_HOURS", 12),
        "RESIDENT_TOKEN_DAYS": _int("PARTANUM_RESIDENT_TOKEN_DAYS", 30),
        "SIGN_IN_ATTEMPTS": _int("PARTANUM_SIGN_IN_ATTEMPTS", 5),
        "SIGN_IN_ADDRESS_ATTEMPTS": _int("PARTANUM_SIGN_IN_ADDRESS_ATTEMPTS", 30),
        "SIGN_IN_WINDOW_MINUTES": _int("PARTANUM_SIGN_IN_WINDOW_MINUTES", 15),
        "SIGN_IN_CODES_PER_WINDOW": _int("PARTANUM_SIGN_IN_CODES_PER_WINDOW", 3),
        "SIGN_IN_CODE_MINUTES": _int("PARTANUM_SIGN_IN_CODE_MINUTES", 10),
        "SIGN_IN_CODE_ATTEMPTS": _int("PARTANUM_SIGN_IN_CODE_ATTEMPTS", 5),
    }
