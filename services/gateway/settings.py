"""The gateway's settings (see partanum/settings.py)."""

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator

from partanum.config import SharedSettings
from partanum.settings import setting


def _address(address: str) -> str:
    if not re.fullmatch(r"[^:]*:\d{1,5}", address):
        raise ValueError("expected host:port, such as 0.0.0.0:8000")
    return address


class Settings(SharedSettings):
    # Where it serves HTTP (nameko's web server reads this key).
    http_address: Annotated[str, AfterValidator(_address)] = setting(
        "0.0.0.0:8000", "PARTANUM_HTTP_ADDRESS", key="WEB_SERVER_ADDRESS"
    )
    # How long it waits for a service's answer before telling the client 503 (try again).
    rpc_timeout: float = setting(15.0, "PARTANUM_RPC_TIMEOUT", gt=0)
    # The largest request body it reads (a CSV import of 5 million characters fits); a
    # larger one is answered 413 before it is read.
    max_body_bytes: int = setting(10 * 1024 * 1024, "PARTANUM_MAX_BODY_BYTES", ge=1024)
    # Reverse proxies in front of the gateway whose X-Forwarded-For is trusted.
    trusted_proxies: int = setting(0, "PARTANUM_TRUSTED_PROXIES", ge=0)
    # Sign-in: token lifetimes, and attempts allowed per window.
    staff_token_hours: int = setting(12, "PARTANUM_STAFF_TOKEN_HOURS", ge=1)
    resident_token_days: int = setting(30, "PARTANUM_RESIDENT_TOKEN_DAYS", ge=1)
    # Failed sign-ins allowed per account (and per client address) in one window.
    sign_in_attempts: int = setting(5, "PARTANUM_SIGN_IN_ATTEMPTS", ge=1)
    address_attempts: int = setting(30, "PARTANUM_SIGN_IN_ADDRESS_ATTEMPTS", ge=1)
    window_minutes: int = setting(15, "PARTANUM_SIGN_IN_WINDOW_MINUTES", ge=1)
    # One-time codes sent per resident identifier in one window.
    codes_per_window: int = setting(3, "PARTANUM_SIGN_IN_CODES_PER_WINDOW", ge=1)
    code_minutes: int = setting(10, "PARTANUM_SIGN_IN_CODE_MINUTES", ge=1)
    code_attempts: int = setting(5, "PARTANUM_SIGN_IN_CODE_ATTEMPTS", ge=1)

    @property
    def url(self) -> str:
        """Where a browser on this machine reaches it: "http://localhost:8000" for 0.0.0.0."""
        host, port = self.http_address.rsplit(":", 1)
        return f"http://{'localhost' if host in ('', '0.0.0.0') else host}:{port}"

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)
