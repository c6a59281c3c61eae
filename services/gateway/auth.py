"""Signing in: passwords, tokens, residents' one-time codes and rate limits.

- Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106), in a
  native thread so that a hash does not stall the other requests of the process.
- A token is 32 random bytes sent once to the client (bearer header or session
  cookie) and stored as its SHA-256: a copy of the database signs nobody in. It
  expires (12 h for staff, 30 days for residents by default) and can be revoked; an
  account disabled by an administrator stops every token of it at once.
- A resident's one-time code is 6 digits, good once, for 10 minutes, 5 tries.
- Attempts are counted per identifier and per client address in fixed windows;
  past the limit the caller gets 429 with Retry-After. An attempt takes its slot
  (one atomic upsert) before the password or code is checked, and gives it back
  when it succeeds: parallel attempts cannot check more than the limit.
- A browser or client that signed in before holds a signed device cookie; its
  failures count against that cookie alone, so a stranger's guesses at an email do
  not lock its owner out (OWASP's device cookies).
- Counter keys never hold what was typed (an email, a phone, an address): only its
  HMAC under the gateway's secret key.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from partanum.config import secret_key
from partanum.db import insert_for
from services.gateway import problems
from services.gateway.authz import RESIDENT, Principal
from services.gateway.models import Account, RateCounter, SignInCode, Token
from services.gateway.settings import Settings

SESSION_COOKIE = "partanum_session"
DEVICE_COOKIE = "partanum_device"
DEVICE_COOKIE_DAYS = 365
_hasher = PasswordHasher()
# Verified when the email is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def settings_for(service) -> Settings:
    """The settings of a gateway worker, with the key that keys the HMAC of every
    identifier a counter is kept for and signs device cookies (PARTANUM_SECRET_KEY,
    or the one generated in the data directory)."""
    return Settings.from_config(service.config).model_copy(
        update={"secret_key": secret_key(service.config)}
    )


def keyed(settings: Settings, kind: str, value: str) -> str:
    """What a counter is kept under for an identifier: its HMAC, never the value."""
    digest = hmac.new(settings.secret_key, f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()[:40]}"


# --- passwords ---------------------------------------------------------------------


def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return (
            tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


# --- tokens ------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_from(request) -> str | None:
    """The bearer token of the Authorization header, else the session cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


def issue_token(
    session: Session,
    now: datetime,
    lifetime: timedelta,
    *,
    account_id: int | None = None,
    resident_id: int | None = None,
) -> tuple[str, Token]:
    secret = secrets.token_urlsafe(32)
    token = Token(
        token_hash=_digest(secret),
        account_id=account_id,
        resident_id=resident_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return secret, token


def principal_for(session: Session, secret: str, now: datetime) -> Principal | None:
    """Who holds this token, or None when it is unknown, expired or revoked, or its
    account disabled. One query: every page and call asks it first."""
    held = session.execute(
        select(
            Token.id,
            Token.resident_id,
            Token.account_id,
            Account.role,
            Account.partner_id,
            Account.disabled_at,
        )
        .outerjoin(Account, Account.id == Token.account_id)
        .where(
            Token.token_hash == _digest(secret),
            Token.revoked_at.is_(None),
            Token.expires_at > now,
        )
    ).one_or_none()
    if held is None:
        return None
    if held.account_id is None:
        return Principal(role=RESIDENT, resident_id=held.resident_id, token_id=held.id)
    if held.role is None or held.disabled_at is not None:  # no such account, or disabled
        return None
    return Principal(
        role=held.role, account_id=held.account_id, partner_id=held.partner_id, token_id=held.id
    )


def revoke_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(
        update(Token).where(Token.id == token_id, Token.revoked_at.is_(None)).values(revoked_at=now)
    )


def revoke_account_tokens(session: Session, account_id: int, now: datetime) -> None:
    session.execute(
        update(Token)
        .where(Token.account_id == account_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- staff sign-in -----------------------------------------------------------------
# A password is checked outside any transaction: an Argon2 hash takes a tenth of a
# second, and SQLite's write lock must not be held that long.


def sign_in(
    session: Session,
    email: str,
    password: str,
    address: str,
    now: datetime,
    settings: Settings,
    device: str | None = None,
) -> tuple[str, Token, Account]:
    """A new token for the account (the caller commits), 401 for a wrong email or
    password, 429 after too many failures. `device` is the client's device cookie.
    The attempt takes its slot and commits before the password is checked, so that
    no lock is held meanwhile; a success gives the slot back."""
    email = email.strip().lower()
    keys = sign_in_keys(settings, email, address, device)
    take(session, keys, settings.window, now)
    account = session.scalar(select(Account).where(Account.email == email))
    usable = account is not None and account.disabled_at is None
    password_hash = account.password_hash if usable else None
    session.commit()
    if not password_matches(password_hash, password):
        raise problems.unauthorised("Wrong email or password.")
    give_back(session, keys)
    secret, token = issue_token(
        session, now, timedelta(hours=settings.staff_token_hours), account_id=account.id
    )
    return secret, token, account


def sign_in_keys(settings: Settings, email: str, address: str, device: str | None) -> dict:
    """The counters an attempt counts against, with their limits: a device that signed
    in to this email before has its own allowance; unknown devices share the email's."""
    nonce = device_nonce(settings, email, device)
    identity = (
        keyed(settings, "sign-in:device", nonce)
        if nonce
        else keyed(settings, "sign-in:email", email)
    )
    return {
        identity: settings.sign_in_attempts,
        keyed(settings, "sign-in:address", address): settings.address_attempts,
    }


def device_cookie(settings: Settings, email: str) -> str:
    """A device cookie for a client that just signed in to `email`: nonce.signature."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_signature(settings, email.strip().lower(), nonce)}"


def remember_device(response, request, settings: Settings, email: str):
    """Gives the client that just signed in to `email` its device cookie."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(settings, email),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )
    return response


def device_nonce(settings: Settings, email: str, cookie: str | None) -> str | None:
    """The cookie's nonce when it was issued to this email by this gateway, else None."""
    nonce, _, signature = (cookie or "").partition(".")
    if nonce and hmac.compare_digest(signature, _device_signature(settings, email, nonce)):
        return nonce
    return None


def _device_signature(settings: Settings, email: str, nonce: str) -> str:
    return hmac.new(
        settings.secret_key, f"device:{email}:{nonce}".encode(), hashlib.sha256
    ).hexdigest()


# --- residents' one-time codes -------------------------------------------------------


def _code_digest(settings: Settings, resident_id: int, code: str) -> str:
    # Keyed: a million codes would be quick to try against a plain hash.
    return hmac.new(
        settings.secret_key, f"{resident_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def issue_code(session: Session, resident_id: int, now: datetime, settings: Settings) -> str:
    """A fresh code for the resident; any earlier one stops working."""
    session.execute(
        update(SignInCode)
        .where(SignInCode.resident_id == resident_id, SignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        SignInCode(
            resident_id=resident_id,
            code_hash=_code_digest(settings, resident_id, code),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.code_minutes),
            failed_attempts=0,
        )
    )
    return code


def use_code(
    session: Session, resident_id: int | None, code: str, now: datetime, settings: Settings
) -> bool:
    """True once for the right code within its time; a wrong one counts against it."""
    if resident_id is None:
        return False
    current = session.scalar(
        select(SignInCode)
        .where(
            SignInCode.resident_id == resident_id,
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now,
        )
        .order_by(SignInCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if current is None:
        return False
    if hmac.compare_digest(current.code_hash, _code_digest(settings, resident_id, code)):
        current.used_at = now
        return True
    current.failed_attempts += 1
    if current.failed_attempts >= settings.code_attempts:
        current.used_at = now
    return False


# --- rate limits -------------------------------------------------------------------
# Counting and checking are one statement: an upsert that starts a new window when the
# last one is over, adds one and returns the count. PostgreSQL locks the row until the
# transaction ends and SQLite's BEGIN IMMEDIATE serialises writers, so no two attempts
# read the same count.


def take(session: Session, keys: dict, window: timedelta, now: datetime) -> None:
    """Count one attempt against each key (key → its limit), or, when one of them is
    past its limit, count nothing, roll back and refuse with 429."""
    retry_after = 0.0
    for key, limit in keys.items():
        counted, window_started_at = _add_one(session, key, window, now)
        if counted > limit:
            retry_after = max(retry_after, (window_started_at + window - now).total_seconds())
    if retry_after:
        session.rollback()
        raise problems.too_many_requests(retry_after)


def give_back(session: Session, keys) -> None:
    """An attempt that succeeded does not count against its keys."""
    session.execute(
        update(RateCounter)
        .where(RateCounter.key.in_(list(keys)), RateCounter.count > 0)
        .values(count=RateCounter.count - 1)
    )


def _add_one(session: Session, key: str, window: timedelta, now: datetime):
    over = RateCounter.window_started_at <= now - window
    insert = insert_for(session.get_bind().dialect.name)(RateCounter)
    statement = (
        insert.values(key=key, window_started_at=now, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "count": case((over, 1), else_=RateCounter.count + 1),
                "window_started_at": case((over, now), else_=RateCounter.window_started_at),
            },
        )
        .returning(RateCounter.count, RateCounter.window_started_at)
    )
    return session.execute(statement).one()


# --- housekeeping --------------------------------------------------------------------

# Expired or revoked tokens are kept this long (who was signed in when), then deleted.
KEEP_ENDED_TOKENS = timedelta(days=30)


def purge(session: Session, now: datetime, settings: Settings) -> None:
    """Deletes what can no longer sign anyone in: old tokens, spent or expired codes,
    and counters whose window is over."""
    session.execute(delete(Token).where(Token.expires_at < now - KEEP_ENDED_TOKENS))
    session.execute(delete(Token).where(Token.revoked_at < now - KEEP_ENDED_TOKENS))
    session.execute(delete(SignInCode).where(SignInCode.expires_at < now))
    session.execute(delete(SignInCode).where(SignInCode.used_at.is_not(None)))
    session.execute(
        delete(RateCounter).where(RateCounter.window_started_at < now - settings.window)
    )


def revoke_other_tokens(
    session: Session, account_id: int, keep_token_id: int | None, now: datetime
) -> None:
    session.execute(
        update(Token)
        .where(
            Token.account_id == account_id, Token.id != keep_token_id, Token.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
