"""Channels without a server: the configuration that builds them, and what they
do with numbers before a gateway or a log sees them."""

import pytest

from partanum.config import nameko_config
from services.notifications.channels import (
    Email,
    HttpSmsChannel,
    LogSmsChannel,
    SmtpChannel,
    channels_from_config,
    e164,
    email_message,
    masked,
    without_contacts,
)


@pytest.mark.parametrize(
    "number, international",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0032 470 12 34 56", "+32470123456"),
    ],
)
def test_numbers_go_to_the_gateway_in_international_form(number, international):
    assert e164(number) == international


def test_a_masked_number_keeps_only_its_last_two_digits():
    assert masked("06 12 34 56 78") == "********78"
    assert masked("+33 6 12 34 56 78") == "*********78"


def test_a_provider_reply_keeps_no_address_or_number_whatever_its_form():
    reply = (
        "550 5.1.1 <AMINA.B@example.org>: forwarded to <karim@example.net>, "
        "or call +33 6 98 76 54 32 / 06.12.34.56.78 (ticket 4521)"
    )

    kept = without_contacts(reply, "amina.b@example.org")

    assert kept == (
        "550 5.1.1 <recipient>: forwarded to <recipient>, "
        "or call <recipient> / <recipient> (ticket 4521)"
    )


def test_by_default_email_goes_to_localhost_and_sms_to_a_local_log(monkeypatch, tmp_path):
    monkeypatch.setenv("PARTANUM_DATA_DIR", str(tmp_path))
    for name in (
        "PARTANUM_SMTP_HOST",
        "PARTANUM_SMTP_PORT",
        "PARTANUM_SMS_PROVIDER",
        "PARTANUM_SMS_LOG",
        "PARTANUM_SMTP_STARTTLS",
        "PARTANUM_SMTP_USERNAME",
    ):
        monkeypatch.delenv(name, raising=False)

    channels = channels_from_config(nameko_config())

    email, sms = channels["email"], channels["sms"]
    assert isinstance(email, SmtpChannel)
    assert (email.host, email.port, email.starttls, email.username) == (
        "localhost",
        25,
        False,
        None,
    )
    assert email.sender == "partanum@localhost"
    assert isinstance(sms, LogSmsChannel) and sms.path == tmp_path / "sms.log"


def test_the_environment_chooses_starttls_with_a_login_and_the_http_gateway(monkeypatch):
    monkeypatch.setenv("PARTANUM_SMTP_HOST", "smtp.angers.example")
    monkeypatch.setenv("PARTANUM_SMTP_PORT", "587")
    monkeypatch.setenv("PARTANUM_SMTP_STARTTLS", "1")
    monkeypatch.setenv("PARTANUM_SMTP_USERNAME", "partanum")
    monkeypatch.setenv("PARTANUM_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("PARTANUM_SMS_PROVIDER", "http")
    monkeypatch.setenv("PARTANUM_SMS_URL", "https://sms.example/xms/v1/plan/batches")
    monkeypatch.setenv("PARTANUM_SMS_API_KEY", "tok-123")

    channels = channels_from_config(nameko_config())

    email, sms = channels["email"], channels["sms"]
    assert (email.host, email.port, email.starttls, email.use_ssl) == (
        "smtp.angers.example",
        587,
        True,
        False,
    )
    assert (email.username, email.password) == ("partanum", "s3cret")
    assert isinstance(sms, HttpSmsChannel)
    assert (sms.url, sms.api_key) == ("https://sms.example/xms/v1/plan/batches", "tok-123")


def test_the_http_gateway_without_its_url_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("PARTANUM_SMS_PROVIDER", "http")
    monkeypatch.delenv("PARTANUM_SMS_URL", raising=False)

    with pytest.raises(ValueError, match="PARTANUM_SMS_URL"):
        channels_from_config(nameko_config())


def test_an_email_message_has_its_own_message_id_in_angle_brackets():
    email = Email(
        to="a@example.org",
        subject="Prêt",
        text="Bonjour",
        html="<p>Bonjour</p>",
        message_id="loan-1.resident-2.loan_confirmed@partanum",
    )

    message = email_message(email, "partanum@localhost")

    assert message["Message-ID"] == "<loan-1.resident-2.loan_confirmed@partanum>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]
