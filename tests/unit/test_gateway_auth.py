"""Signing in, on a real SQLite session: tokens that expire and are revoked, codes
good once, and attempts counted per window."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from partanum import migrate
from partanum.db import make_engine
from services.gateway import accounts, auth
from services.gateway.authz import RESIDENT
from services.gateway.models import RateCounter
from services.gateway.problems import Problem

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = auth.Settings()


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    migrate.upgrade("gateway", url)
    engine = make_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def staff(session, email="ines@jean-vilar.example", password="correct horse battery"):
    account = accounts.create(
        session,
        {
            "email": email,
            "display_name": "Inès",
            "role": "staff",
            "partner_id": 3,
            "password": password,
        },
        NOW,
    )
    session.commit()
    return account


def test_a_password_is_stored_as_an_argon2id_hash_only(session):
    account = staff(session)

    assert account.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in account.password_hash
    assert auth.password_matches(account.password_hash, "correct horse battery")
    assert not auth.password_matches(account.password_hash, "correct horse batter")
    assert not auth.password_matches(None, "anything")


def test_a_token_is_stored_as_its_digest_and_names_its_holder(session):
    account = staff(session)
    secret, token = auth.issue_token(session, NOW, timedelta(hours=12), account_id=account.id)

    assert secret not in token.token_hash
    who = auth.principal_for(session, secret, NOW + timedelta(hours=1))
    assert (who.role, who.account_id, who.partner_id) == ("staff", account.id, 3)


def test_a_token_stops_at_its_expiry_and_when_revoked(session):
    account = staff(session)
    secret, token = auth.issue_token(session, NOW, timedelta(hours=12), account_id=account.id)

    assert auth.principal_for(session, secret, NOW + timedelta(hours=12)) is None
    auth.revoke_token(session, token.id, NOW)
    assert auth.principal_for(session, secret, NOW + timedelta(minutes=1)) is None


def test_disabling_an_account_revokes_every_token_it_holds(session):
    account = staff(session)
    secrets = [
        auth.issue_token(session, NOW, timedelta(hours=12), account_id=account.id)[0]
        for _ in range(2)
    ]

    accounts.change(session, account.id, {"disabled": True}, NOW)

    assert [auth.principal_for(session, s, NOW) for s in secrets] == [None, None]


def test_a_resident_token_names_the_resident_only(session):
    secret, _ = auth.issue_token(session, NOW, timedelta(days=30), resident_id=42)

    who = auth.principal_for(session, secret, NOW)

    assert (who.role, who.resident_id, who.account_id) == (RESIDENT, 42, None)
    assert who.actor == "resident:42"


def test_a_code_works_once_and_only_before_it_expires(session):
    code = auth.issue_code(session, 42, NOW, SETTINGS)

    assert not auth.use_code(session, 42, code, NOW + timedelta(minutes=10), SETTINGS)
    assert auth.use_code(session, 42, code, NOW + timedelta(minutes=9), SETTINGS)
    assert not auth.use_code(session, 42, code, NOW + timedelta(minutes=9), SETTINGS)


def test_a_new_code_voids_the_previous_one(session):
    first = auth.issue_code(session, 42, NOW, SETTINGS)
    second = auth.issue_code(session, 42, NOW + timedelta(minutes=1), SETTINGS)

    assert first == second or not auth.use_code(session, 42, first, NOW, SETTINGS)
    assert auth.use_code(session, 42, second, NOW + timedelta(minutes=2), SETTINGS)


def test_five_wrong_codes_void_the_right_one(session):
    code = auth.issue_code(session, 42, NOW, SETTINGS)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(5):
        assert not auth.use_code(session, 42, wrong, NOW, SETTINGS)

    assert not auth.use_code(session, 42, code, NOW, SETTINGS)


def test_a_code_is_never_someone_elses(session):
    code = auth.issue_code(session, 42, NOW, SETTINGS)

    assert not auth.use_code(session, 43, code, NOW, SETTINGS)
    assert not auth.use_code(session, None, code, NOW, SETTINGS)


def test_attempts_past_the_limit_wait_for_the_window_to_end(session):
    window = timedelta(minutes=15)
    for _ in range(3):
        auth.take(session, {"code:phone:0612345678": 3}, window, NOW)

    with pytest.raises(Problem) as refused:
        auth.take(session, {"code:phone:0612345678": 3}, window, NOW + timedelta(minutes=5))

    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == str(10 * 60)
    auth.take(session, {"code:phone:0612345678": 3}, window, NOW + window)  # a new window


def test_the_sign_in_answer_is_the_same_for_a_wrong_password_and_an_unknown_email(session):
    staff(session)
    answers = []
    for email, password in (("ines@jean-vilar.example", "wrong"), ("nobody@x.example", "x")):
        with pytest.raises(Problem) as refused:
            auth.sign_in(session, email, password, "192.0.2.1", NOW, SETTINGS)
        answers.append((refused.value.status, refused.value.detail))

    assert answers[0] == answers[1] == (401, "Wrong email or password.")


def test_an_email_is_one_account_whatever_its_case(session):
    staff(session)

    with pytest.raises(accounts.EmailTaken):
        staff(session, email="Ines@Jean-Vilar.example")
    secret, _, account = auth.sign_in(
        session, "INES@jean-vilar.example", "correct horse battery", "192.0.2.1", NOW, SETTINGS
    )
    assert account.email == "ines@jean-vilar.example"


def test_housekeeping_keeps_what_still_signs_in_and_drops_the_rest(session):
    from sqlalchemy import func, select

    from services.gateway.models import RateCounter, SignInCode, Token

    account = staff(session)
    live, _ = auth.issue_token(session, NOW, timedelta(hours=12), account_id=account.id)
    auth.issue_token(session, NOW - timedelta(days=40), timedelta(hours=12), account_id=account.id)
    auth.issue_code(session, 42, NOW - timedelta(hours=1), SETTINGS)
    code = auth.issue_code(session, 43, NOW, SETTINGS)
    auth.take(
        session, {"sign-in:email:old@example.org": 5}, SETTINGS.window, NOW - timedelta(hours=1)
    )
    auth.take(session, {"sign-in:email:new@example.org": 5}, SETTINGS.window, NOW)
    session.commit()

    auth.purge(session, NOW, SETTINGS)

    assert session.scalar(select(func.count()).select_from(Token)) == 1
    assert auth.principal_for(session, live, NOW) is not None
    assert session.scalars(select(SignInCode.resident_id)).all() == [43]
    assert auth.use_code(session, 43, code, NOW, SETTINGS)
    assert session.scalars(select(RateCounter.key)).all() == ["sign-in:email:new@example.org"]


def test_a_counter_key_is_a_keyed_hash_that_changes_with_the_secret():
    other = auth.Settings(secret_key=b"another deployment")

    key = auth.keyed(SETTINGS, "sign-in:email", "ines@jean-vilar.example")

    assert key.startswith("sign-in:email:") and "ines" not in key
    assert key == auth.keyed(SETTINGS, "sign-in:email", "ines@jean-vilar.example")
    assert key != auth.keyed(other, "sign-in:email", "ines@jean-vilar.example")


def test_a_device_cookie_counts_only_for_the_email_it_was_given_for():
    cookie = auth.device_cookie(SETTINGS, "Ines@Jean-Vilar.example")
    nonce, _, signature = cookie.partition(".")

    assert auth.device_nonce(SETTINGS, "ines@jean-vilar.example", cookie) == nonce
    assert auth.device_nonce(SETTINGS, "karim@mistral.example", cookie) is None
    assert auth.device_nonce(SETTINGS, "ines@jean-vilar.example", f"{nonce}x.{signature}") is None
    assert (
        auth.device_nonce(auth.Settings(secret_key=b"other"), "ines@jean-vilar.example", cookie)
        is None
    )
    assert auth.device_nonce(SETTINGS, "ines@jean-vilar.example", None) is None


def test_a_refused_attempt_counts_against_none_of_its_keys(session):
    window = timedelta(minutes=15)
    auth.take(session, {"sign-in:email:a": 1}, window, NOW)
    session.commit()

    with pytest.raises(Problem):
        auth.take(session, {"sign-in:address:b": 30, "sign-in:email:a": 1}, window, NOW)

    counts = dict(session.execute(select(RateCounter.key, RateCounter.count)).all())
    assert counts == {"sign-in:email:a": 1}


def test_a_successful_attempt_gives_its_slot_back(session):
    window = timedelta(minutes=15)
    for _ in range(2):
        auth.take(session, {"password:account:1": 2}, window, NOW)
    auth.give_back(session, {"password:account:1": 2})

    auth.take(session, {"password:account:1": 2}, window, NOW)  # not refused
