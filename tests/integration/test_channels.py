"""Delivery channels against real servers: an SMTP server in its own process
(tests/smtp_server.py), plain, with STARTTLS or SSL and AUTH, and a local HTTP SMS
gateway (tests/sms_gateway.py). What a failure means decides what the service does
next: a permanent one is not retried, and it never names the recipient."""

import json
import socket

import pytest

from services.notifications.channels import (
    DeliveryFailed,
    Email,
    HttpSmsChannel,
    LogSmsChannel,
    Sms,
    SmtpChannel,
)
from tests.sms_gateway import SmsGateway
from tests.smtp_server import SmtpServer, self_signed_certificate

AMINA = "amina.b@example.org"
PHONE = "06 12 34 56 78"
SENDER = "Partanum <partanum@roseraie.example>"


def ready_email(to=AMINA):
    return Email(
        to=to,
        subject="Votre tablette est prête · جهازك جاهز",
        text="Bonjour,\nvotre tablette est prête à Jean-Vilar jusqu'à mardi 18 h.\nمرحبا",
        html='<p dir="auto">Bonjour,<br>votre tablette est prête à <b>Jean-Vilar</b>.</p>',
        message_id="loan-17.resident-42.pickup_ready@partanum",
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def certificate(tmp_path):
    return self_signed_certificate(tmp_path / "tls")


def test_an_email_arrives_with_its_text_and_html_parts_and_its_message_id(smtp_server):
    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)

    channel.send(ready_email())

    [received] = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == [AMINA]
    assert received.mail_from == "partanum@roseraie.example"
    assert message["Message-ID"] == "<loan-17.resident-42.pickup_ready@partanum>"
    assert message["From"] == SENDER and message["To"] == AMINA
    assert message["Subject"] == "Votre tablette est prête · جهازك جاهز"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), text.get_content_charset()) == ("text/plain", "utf-8")
    assert (html.get_content_type(), html.get_content_charset()) == ("text/html", "utf-8")
    assert text.get_content().replace("\r\n", "\n").rstrip("\n") == ready_email().text
    assert "<b>Jean-Vilar</b>" in html.get_content()


def test_a_long_email_arrives_whole_line_by_line(smtp_server):
    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)
    text = "\n".join(
        f"Ligne {n} : lundi 13:30–18:30, mardi 09:00–12:00 · الاثنين" for n in range(60)
    )

    channel.send(
        Email(
            to=AMINA,
            subject="Horaires",
            text=text,
            html=f"<pre>{text}</pre>",
            message_id="hours@partanum",
        )
    )

    [received] = smtp_server.wait_for(1)
    plain, _ = received.message.iter_parts()
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == text


def test_a_batch_of_emails_goes_over_one_connection_reopened_if_the_server_dropped_it(smtp_server):
    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)

    with channel.session() as session:
        session.send(ready_email("a@example.org"))
        connection = session.smtp
        session.send(ready_email("b@example.org"))
        assert session.smtp is connection
        connection.sock.shutdown(
            socket.SHUT_RDWR
        )  # the server hung up while the batch was rendered
        session.send(ready_email("c@example.org"))

    received = smtp_server.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


def test_the_next_batch_reuses_the_connection_and_reopens_it_if_the_server_dropped_it(smtp_server):
    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)

    with channel.session() as session:
        session.send(ready_email("a@example.org"))
    with channel.session() as session:
        session.send(ready_email("b@example.org"))
        session.smtp.sock.shutdown(socket.SHUT_RDWR)  # the server hung up while it was idle
    with channel.session() as session:
        session.send(ready_email("c@example.org"))
    channel.close_idle()

    a, b, c = sorted(smtp_server.wait_for(3), key=lambda r: r.rcpt_tos[0])
    assert a.connection == b.connection != c.connection


def test_a_connection_idle_too_long_is_closed_not_reused(smtp_server, monkeypatch):
    from services.notifications import channels

    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)
    with channel.session() as session:
        session.send(ready_email("a@example.org"))
    monkeypatch.setattr(channels, "KEEP_IDLE_SECONDS", 0)
    with channel.session() as session:
        session.send(ready_email("b@example.org"))
    channel.close_idle()

    a, b = sorted(smtp_server.wait_for(2), key=lambda r: r.rcpt_tos[0])
    assert a.connection != b.connection


def test_a_resent_email_keeps_its_message_id(smtp_server):
    channel = SmtpChannel(smtp_server.host, smtp_server.port, sender=SENDER)

    channel.send(ready_email())
    channel.send(ready_email())

    first, second = smtp_server.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_an_email_goes_over_starttls_and_authenticates(tmp_path, certificate):
    with SmtpServer(
        tmp_path / "mail",
        username="partanum",
        password="s3cret",
        tls="starttls",
        certificate=certificate,
    ) as server:
        channel = SmtpChannel(
            server.host,
            server.port,
            username="partanum",
            password="s3cret",
            starttls=True,
            sender=SENDER,
            cafile=str(certificate[0]),
        )

        channel.send(ready_email())

        [received] = server.wait_for(1)
    assert (received.tls, received.login) == (True, "partanum")
    assert received.message["Message-ID"] == "<loan-17.resident-42.pickup_ready@partanum>"


def test_an_email_goes_over_ssl_and_authenticates(tmp_path, certificate):
    with SmtpServer(
        tmp_path / "mail",
        username="partanum",
        password="s3cret",
        tls="ssl",
        certificate=certificate,
    ) as server:
        channel = SmtpChannel(
            server.host,
            server.port,
            username="partanum",
            password="s3cret",
            use_ssl=True,
            sender=SENDER,
            cafile=str(certificate[0]),
        )

        channel.send(ready_email())

        [received] = server.wait_for(1)
    assert (received.tls, received.login) == (True, "partanum")


def test_a_server_whose_certificate_is_not_trusted_is_sent_nothing(tmp_path, certificate):
    with SmtpServer(
        tmp_path / "mail",
        username="partanum",
        password="s3cret",
        tls="starttls",
        certificate=certificate,
    ) as server:
        channel = SmtpChannel(
            server.host,
            server.port,
            username="partanum",
            password="s3cret",
            starttls=True,
            sender=SENDER,
        )  # the system's CAs only

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(ready_email())

        assert not failure.value.permanent
        assert server.messages() == []


def test_a_refused_password_is_a_temporary_failure_not_the_residents(tmp_path, certificate):
    with SmtpServer(
        tmp_path / "mail",
        username="partanum",
        password="s3cret",
        tls="starttls",
        certificate=certificate,
    ) as server:
        channel = SmtpChannel(
            server.host,
            server.port,
            username="partanum",
            password="wrong",
            starttls=True,
            sender=SENDER,
            cafile=str(certificate[0]),
        )

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(ready_email())

    assert not failure.value.permanent
    assert "535" in failure.value.reason


def test_a_refused_recipient_is_a_permanent_failure_that_does_not_name_them(tmp_path):
    with SmtpServer(tmp_path / "mail", refuse=["gone@example.org"]) as server:
        channel = SmtpChannel(server.host, server.port, sender=SENDER)

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(ready_email(to="gone@example.org"))

        assert server.messages() == []
    assert failure.value.permanent
    assert "550" in failure.value.reason
    assert "gone" not in failure.value.reason and "example.org" not in failure.value.reason


def test_a_refusal_quoting_the_address_in_another_case_does_not_name_them(tmp_path):
    with SmtpServer(tmp_path / "mail", refuse=["amina.b@example.org"]) as server:
        channel = SmtpChannel(server.host, server.port, sender=SENDER)

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(ready_email(to="Amina.B@Example.ORG"))

    assert failure.value.permanent
    assert "550" in failure.value.reason and "5.1.1" in failure.value.reason
    assert "amina" not in failure.value.reason.lower()
    assert "example.org" not in failure.value.reason.lower()


def test_a_refused_recipient_in_a_batch_does_not_hold_back_the_emails_after_it(tmp_path):
    with SmtpServer(tmp_path / "mail", refuse=["gone@example.org"]) as server:
        channel = SmtpChannel(server.host, server.port, sender=SENDER)

        with channel.session() as session:
            with pytest.raises(DeliveryFailed):
                session.send(ready_email(to="gone@example.org"))
            session.send(ready_email())

        [received] = server.wait_for(1)
    assert received.rcpt_tos == [AMINA]


def test_a_busy_mailbox_is_a_temporary_failure(tmp_path):
    with SmtpServer(tmp_path / "mail", defer=["busy@example.org"]) as server:
        channel = SmtpChannel(server.host, server.port, sender=SENDER)

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(ready_email(to="busy@example.org"))

    assert not failure.value.permanent
    assert "450" in failure.value.reason and "busy@" not in failure.value.reason


def test_a_server_that_is_down_is_a_temporary_failure():
    channel = SmtpChannel("127.0.0.1", free_port(), sender=SENDER, timeout=2)

    with pytest.raises(DeliveryFailed) as failure:
        channel.send(ready_email())

    assert not failure.value.permanent


# --- SMS -------------------------------------------------------------------------------


def hold_sms():
    return Sms(
        to=PHONE,
        text="Une tablette vous attend à Jean-Vilar jusqu'à jeudi 17 h.",
        reference="hold-9.resident-42.hold_offered",
    )


def test_the_http_gateway_gets_the_documented_request_with_the_bearer_token():
    with SmsGateway() as gateway:
        channel = HttpSmsChannel(gateway.url, api_key="tok-123", sender="Partanum")

        channel.send(hold_sms())

    [request] = gateway.requests
    assert request["path"] == SmsGateway.path
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["json"] == {
        "from": "Partanum",
        "to": ["+33612345678"],
        "type": "mt_text",
        "body": "Une tablette vous attend à Jean-Vilar jusqu'à jeudi 17 h.",
        "client_reference": "hold-9.resident-42.hold_offered",
    }


@pytest.mark.parametrize(
    "status, permanent",
    [
        (400, True),
        (404, True),  # this message or number is refused for good
        (401, False),
        (403, False),  # our key is refused: not the resident's fault
        (429, False),  # too many requests: later
        (500, False),
        (503, False),
    ],
)
def test_gateway_answers_map_to_permanent_or_temporary_failures(status, permanent):
    with SmsGateway() as gateway:
        gateway.answers = [status]
        channel = HttpSmsChannel(gateway.url, api_key="tok-123", sender="Partanum")

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(hold_sms())

    assert failure.value.permanent is permanent
    assert str(status) in failure.value.reason
    assert "612345678" not in failure.value.reason  # the gateway quoted the number


def test_a_gateway_that_does_not_answer_in_time_is_a_temporary_failure():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/batches"
        channel = HttpSmsChannel(url, api_key="tok-123", sender="Partanum", timeout=0.3)

        with pytest.raises(DeliveryFailed) as failure:
            channel.send(hold_sms())

    assert not failure.value.permanent
    assert "timed out" in failure.value.reason


def test_a_gateway_that_is_down_is_a_temporary_failure():
    channel = HttpSmsChannel(
        f"http://127.0.0.1:{free_port()}/batches", api_key="tok-123", sender="Partanum", timeout=2
    )

    with pytest.raises(DeliveryFailed) as failure:
        channel.send(hold_sms())

    assert not failure.value.permanent


def test_the_sms_log_keeps_each_text_with_only_the_last_two_digits_of_the_number(tmp_path):
    log = tmp_path / "var" / "sms.log"
    channel = LogSmsChannel(log)

    channel.send(hold_sms())
    channel.send(
        Sms(
            to="+33 7 98 76 54 21",
            text="Merci, nous avons récupéré la tablette.",
            reference="loan-17.resident-43.return_confirmed",
        )
    )

    written = log.read_text(encoding="utf-8")
    first, second = [json.loads(line) for line in written.splitlines()]
    assert (first["to"], first["text"], first["reference"]) == (
        "********78",
        hold_sms().text,
        "hold-9.resident-42.hold_offered",
    )
    assert second["to"] == "*********21"
    assert "12 34 56" not in written and "612345678" not in written and "987654" not in written
