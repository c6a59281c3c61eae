"""What every service shares, read from environment variables with defaults that run
on a laptop; each service's own settings live in `services/<name>/settings.py`, in
the same style (partanum/settings.py).

Every service process builds its nameko config with `nameko_config(services)`; tests
build the same dict with their own broker vhost and database URLs.
"""

import functools
import importlib
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from partanum.settings import SettingError, Settings, setting

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"
SERVICES = ("inventory", "booking", "notifications", "audit", "gateway")


def _zone(name):
    if isinstance(name, ZoneInfo):
        return name
    if name not in available_timezones():
        raise ValueError("expected a time zone such as Europe/Paris")
    return ZoneInfo(name)


def _broker(uri: str) -> str:
    if urlsplit(uri).scheme not in ("amqp", "amqps", "pyamqp"):
        raise ValueError("expected a RabbitMQ URL such as amqp://guest:guest@localhost:5672/")
    return uri


Zone = Annotated[ZoneInfo, BeforeValidator(_zone)]


class SharedSettings(Settings):
    amqp_uri: Annotated[str, AfterValidator(_broker)] = setting(
        DEFAULT_AMQP_URI, "AMQP_URI", key="AMQP_URI"
    )
    # Where the default SQLite files, the generated secret key and the SMS log go.
    data_dir: Path = setting(Path("var"), "PARTANUM_DATA_DIR")
    # Concurrent workers per service, and the size of its PostgreSQL connection pool.
    max_workers: int = setting(10, "PARTANUM_MAX_WORKERS", key="max_workers", ge=1)
    # Keys the hashes of residents' past details, signs suggestions and device cookies.
    secret_key: bytes = setting(b"", "PARTANUM_SECRET_KEY")
    # A handler that raises is retried after 1 s, 2 s, 4 s... and parked
    # in its dead-letter queue after the last attempt.
    retry_max_attempts: int = setting(5, "PARTANUM_RETRY_MAX_ATTEMPTS", ge=1)
    retry_base_delay: float = setting(1.0, "PARTANUM_RETRY_BASE_DELAY", gt=0)
    # The relay publishes right after each commit; the poll only picks up
    # what an earlier process committed and could not publish.
    relay_poll_interval: float = setting(2.0, "PARTANUM_RELAY_POLL_INTERVAL", gt=0)
    relay_enabled: bool = setting(True, "PARTANUM_RELAY_ENABLED")
    # Sites' opening hours are local time there.
    zone: Zone = setting(ZoneInfo("Europe/Paris"), "PARTANUM_TIMEZONE", key="TIMEZONE")
    # How far ahead any date an input names may go (partanum/inputs.py).
    date_horizon_days: int = setting(365, "PARTANUM_DATE_HORIZON_DAYS", ge=1)
    # The longest wait between two ticks of any timer (overdue loans, no-shows, holds,
    # anonymisation, sending); 0 keeps each timer's own interval. Tests make it short.
    timer_seconds: float = setting(0.0, "PARTANUM_TIMER_SECONDS", ge=0)
    # "quorum" on a RabbitMQ cluster: every queue replicated on its nodes (partanum/topology.py).
    # "classic" on one broker, where replicas would add nothing but writes to disk.
    queue_type: Literal["classic", "quorum"] = setting("classic", "PARTANUM_QUEUE_TYPE")


def shared(environ: Mapping[str, str] = os.environ) -> SharedSettings:
    return SharedSettings.from_environment(environ)


def amqp_uri() -> str:
    return shared().amqp_uri


def data_dir() -> Path:
    return shared().data_dir


def database_url(service: str, environ: Mapping[str, str] = os.environ) -> str:
    """`INVENTORY_DATABASE_URL` and so on; an SQLite file under the data dir by default."""
    variable = f"{service.upper()}_DATABASE_URL"
    url = environ.get(variable) or f"sqlite:///{shared(environ).data_dir / (service + '.sqlite3')}"
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in ("sqlite", "postgresql"):
        raise SettingError(
            f"{variable}: expected a database URL such as sqlite:///var/"
            f"{service}.sqlite3 or postgresql://user:pw@host/{service}"
        )
    return url


def service_settings(service: str) -> type[SharedSettings]:
    """The `Settings` class a service declares in its settings module."""
    return importlib.import_module(f"services.{service}.settings").Settings


def nameko_config(
    services: Iterable[str] = SERVICES, environ: Mapping[str, str] = os.environ
) -> dict:
    """The shared settings and those of every service in `services`, checked: a bad
    value raises SettingError naming its variable."""
    services = tuple(services)
    config = shared(environ).as_config()
    for name in services:
        config.update(service_settings(name).from_environment(environ).as_config())
    config["DATABASE_URLS"] = {name: database_url(name, environ) for name in services}
    return config


def timer_interval(seconds: float, environ: Mapping[str, str] = os.environ) -> float:
    """A timer's interval: its own `seconds`, or PARTANUM_TIMER_SECONDS when shorter.
    Read when the service's class is defined (nameko's timers take a number); every
    replica of a service runs each timer, so what a timer does must be claimed once."""
    cap = shared(environ).timer_seconds
    return min(seconds, cap) if cap else seconds


def date_horizon_days(environ: Mapping[str, str] = os.environ) -> int:
    """How far ahead an input's dates may go (every input schema reads it: partanum.inputs)."""
    # Asked for each date of each input: the variable is read each time (tests change
    # it), the settings built once per value it takes.
    return _horizon(environ.get("PARTANUM_DATE_HORIZON_DAYS", ""))


@functools.cache
def _horizon(variable: str) -> int:
    return shared({"PARTANUM_DATE_HORIZON_DAYS": variable}).date_horizon_days


def secret_key(config: dict) -> bytes:
    """The key of keyed hashes and signatures (PARTANUM_SECRET_KEY). Without one, as
    on a laptop, a random key kept in the data directory: created once, so that the
    hashes it made still match after a restart."""
    settings = SharedSettings.from_config(config)
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret.key"
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
