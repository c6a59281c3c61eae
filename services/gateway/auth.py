"""Signing in: passwords, tokens, residents' one-time codes and rate limits.

- Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106), in a
  native thread so that a hash does not stall the other requests of the process.
- A token is 32 random bytes sent once to the client (bearer header or session
  cookie) and stored as its SHA-256: a copy of the database signs nobody in. It
  expires (12 h for staff, 30 days for residents by default) and can be revoked; an
  account disabled by an administrator stops every token of it at once.
- A resident's one-time code is 6 digits, good once, for 10 minutes, 5 tries.
- Attempts are counted per identifier and per client address in fixed windows;
  past the limit the caller gets 429 with Retry-After.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.gateway import problems
from services.gateway.authz import RESIDENT, Principal
from services.gateway.models import Account, RateCounter, SignInCode, Token

SESSION_COOKIE = "partanum_session"
_hasher = PasswordHasher()
# Verified when the email is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Settings:
    staff_token_hours: int = 12
    resident_token_days: int = 30
    # Failed sign-ins allowed per account (and per client address) in one window.
    sign_in_attempts: int = 5
    address_attempts: int = 30
    window_minutes: int = 15
    # One-time codes sent per resident identifier in one window.
    codes_per_window: int = 3
    code_minutes: int = 10
    code_attempts: int = 5

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        return cls(**{name: int(config[key]) for name, key in _CONFIG_KEYS.items()
                      if key in config})

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


_CONFIG_KEYS = {
    "staff_token_hours": "STAFF_TOKEN_HOURS",
    "resident_token_days": "RESIDENT_TOKEN_DAYS",
    "sign_in_attempts": "SIGN_IN_ATTEMPTS",
    "address_attempts": "SIGN_IN_ADDRESS_ATTEMPTS",
    "window_minutes": "SIGN_IN_WINDOW_MINUTES",
    "codes_per_window": "SIGN_IN_CODES_PER_WINDOW",
    "code_minutes": "SIGN_IN_CODE_MINUTES",
    "code_attempts": "SIGN_IN_CODE_ATTEMPTS",
}


# --- passwords ---------------------------------------------------------------------

def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return tpool.execute(_hasher.verify, password_hash or _DUMMY_HASH, password) \
            and password_hash is not None
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


def issue_token(session: Session, now: datetime, lifetime: timedelta, *,
                account_id: int | None = None, resident_id: int | None = None) -> tuple[str, Token]:
    secret = secrets.token_urlsafe(32)
    token = Token(token_hash=_digest(secret), account_id=account_id, resident_id=resident_id,
                  created_at=now, expires_at=now + lifetime)
    session.add(token)
    session.flush()
    return secret, token


def principal_for(session: Session, secret: str, now: datetime) -> Principal | None:
    """Who holds this token, or None when it is unknown, expired or revoked, or its
    account disabled."""
    token = session.scalar(select(Token).where(Token.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.account_id is None:
        return Principal(role=RESIDENT, resident_id=token.resident_id, token_id=token.id)
    account = session.get(Account, token.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return Principal(role=account.role, account_id=account.id, partner_id=account.partner_id,
                     token_id=token.id)


def revoke_token(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(Token).where(Token.id == token_id, Token.revoked_at.is_(None))
                    .values(revoked_at=now))


def revoke_account_tokens(session: Session, account_id: int, now: datetime) -> None:
    session.execute(update(Token).where(Token.account_id == account_id,
                                        Token.revoked_at.is_(None)).values(revoked_at=now))


# --- staff sign-in -----------------------------------------------------------------
# A password is checked outside any transaction: an Argon2 hash takes a tenth of a
# second, and SQLite's write lock must not be held that long.

@dataclass(frozen=True)
class SignInAttempt:
    email: str
    address: str
    keys: dict  # rate-limit key → its limit
    account_id: int | None
    password_hash: str | None


def sign_in(session: Session, email: str, password: str, address: str, now: datetime,
            settings: Settings) -> tuple[str, Token, Account]:
    """A new token for the account (the caller commits), 401 for a wrong email or
    password, 429 after too many failures. Commits in between, so that no lock is
    held while the password is checked."""
    attempt = begin_sign_in(session, email, address, now, settings)
    session.commit()
    password_ok = password_matches(attempt.password_hash, password)
    return finish_sign_in(session, attempt, password_ok, now, settings)


def begin_sign_in(session: Session, email: str, address: str, now: datetime,
                  settings: Settings) -> SignInAttempt:
    """Refuses (429) when too many attempts failed; else what the password is checked against."""
    email = email.strip().lower()
    keys = {f"sign-in:email:{email}": settings.sign_in_attempts,
            f"sign-in:address:{address}": settings.address_attempts}
    for key, limit in keys.items():
        refuse_when_exhausted(session, key, limit, settings.window, now)
    account = session.scalar(select(Account).where(Account.email == email))
    usable = account is not None and account.disabled_at is None
    return SignInAttempt(email, address, keys, account.id if usable else None,
                         account.password_hash if usable else None)


def finish_sign_in(session: Session, attempt: SignInAttempt, password_ok: bool,
                   now: datetime, settings: Settings) -> tuple[str, Token, Account]:
    """A new token for the account, or 401: the same whether the email or the password
    was wrong. A failure counts against the email and the client's address."""
    account = session.get(Account, attempt.account_id) if attempt.account_id else None
    if not password_ok or account is None or account.disabled_at is not None:
        for key in attempt.keys:
            count(session, key, settings.window, now)
        session.commit()
        raise problems.unauthorised("Wrong email or password.")
    secret, token = issue_token(session, now, timedelta(hours=settings.staff_token_hours),
                                account_id=account.id)
    return secret, token, account


# --- residents' one-time codes -------------------------------------------------------

def _code_digest(resident_id: int, code: str) -> str:
    return _digest(f"{resident_id}:{code}")


def issue_code(session: Session, resident_id: int, now: datetime, settings: Settings) -> str:
    """A fresh code for the resident; any earlier one stops working."""
    session.execute(update(SignInCode).where(SignInCode.resident_id == resident_id,
                                             SignInCode.used_at.is_(None)).values(used_at=now))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    session.add(SignInCode(resident_id=resident_id, code_hash=_code_digest(resident_id, code),
                           created_at=now, expires_at=now + timedelta(minutes=settings.code_minutes),
                           failed_attempts=0))
    return code


def use_code(session: Session, resident_id: int | None, code: str, now: datetime,
             settings: Settings) -> bool:
    """True once for the right code within its time; a wrong one counts against it."""
    if resident_id is None:
        return False
    current = session.scalar(
        select(SignInCode).where(SignInCode.resident_id == resident_id,
                                 SignInCode.used_at.is_(None), SignInCode.expires_at > now)
        .order_by(SignInCode.id.desc()).limit(1).with_for_update())
    if current is None:
        return False
    if hmac.compare_digest(current.code_hash, _code_digest(resident_id, code)):
        current.used_at = now
        return True
    current.failed_attempts += 1
    if current.failed_attempts >= settings.code_attempts:
        current.used_at = now
    return False


# --- rate limits -------------------------------------------------------------------

def _counter(session: Session, key: str, window: timedelta, now: datetime) -> RateCounter:
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)
    session.execute(insert(RateCounter).values(key=key, window_started_at=now, count=0)
                    .on_conflict_do_nothing())
    counter = session.scalar(select(RateCounter).where(RateCounter.key == key).with_for_update())
    if counter.window_started_at + window <= now:
        counter.window_started_at, counter.count = now, 0
    return counter


def refuse_when_exhausted(session, key: str, limit: int, window: timedelta, now: datetime) -> None:
    counter = _counter(session, key, window, now)
    if counter.count >= limit:
        retry_after = (counter.window_started_at + window - now).total_seconds()
        session.commit()
        raise problems.too_many_requests(retry_after)


def count(session, key: str, window: timedelta, now: datetime) -> None:
    _counter(session, key, window, now).count += 1


def take(session, key: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one attempt, or refuse it with 429 when the window's limit is reached."""
    refuse_when_exhausted(session, key, limit, window, now)
    count(session, key, window, now)


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
    session.execute(delete(RateCounter).where(RateCounter.window_started_at
                                              < now - settings.window))


def revoke_other_tokens(session: Session, account_id: int, keep_token_id: int | None,
                        now: datetime) -> None:
    session.execute(update(Token).where(Token.account_id == account_id, Token.id != keep_token_id,
                                        Token.revoked_at.is_(None)).values(revoked_at=now))
