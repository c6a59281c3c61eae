"""How messages leave: email over SMTP, SMS over an HTTP gateway or a local log.

Each channel's `send` either returns once the message is accepted, or raises
DeliveryFailed (permanent=True when retrying cannot help: a refused address).

A failure is permanent only when the fault lies with this recipient or this
message (an unknown mailbox, a number the gateway refuses). When the fault is
ours or passing (server down, timeouts, 4xx replies, a password or API key the
server refuses) it is temporary: retrying with backoff is right, and staff are
not told that a resident cannot be reached when the configuration is to blame.

Contact details never leave through a reason: addresses and numbers are taken
out of every server reply quoted in DeliveryFailed, since failures are recorded
and shown to staff.
"""

import json
import re
import smtplib
import socket
import ssl
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

import requests

from services.notifications.settings import Settings

# Seconds an SMTP server or the SMS gateway may take to answer before the send is
# retried later.
SEND_TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per (event, recipient, purpose): a resend keeps it


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    reference: str  # stable per (event, recipient, purpose); gateways dedupe on it


# Servers quote a recipient as they please (another case, their own number format,
# someone else's address in a forwarding error): take out anything shaped like one.
_EMAIL_SHAPED = re.compile(r"<?[^\s<>@,;:\"]+@[^\s<>@,;:\"]+>?")
_PHONE_SHAPED = re.compile(r"\+?\d[\d .\-()]{5,}\d")
_PHONE_DIGITS = 8  # fewer are a reply code ("550 5.1.1"), a status or a count


def without_contacts(reply: str, contact: str) -> str:
    """A server reply fit for a failure record: the contact detail, whatever its
    case, and anything else shaped like an email address or a phone number replaced."""
    if contact:
        reply = re.sub(re.escape(contact), "<recipient>", reply, flags=re.IGNORECASE)
    reply = _EMAIL_SHAPED.sub("<recipient>", reply)
    reply = _PHONE_SHAPED.sub(
        lambda found: (
            "<recipient>" if sum(c.isdigit() for c in found[0]) >= _PHONE_DIGITS else found[0]
        ),
        reply,
    )
    return reply.replace("<<recipient>>", "<recipient>")[:200]


# --- email ---------------------------------------------------------------------------


# Connections kept open between batches: opening one (TCP, greeting, EHLO, TLS,
# AUTH) costs more than an email. Servers close idle ones after a while (RFC 5321
# asks them to wait five minutes); a kept one the server has dropped is opened
# again once. More than the sender's lanes, which each use one.
KEEP_IDLE_SECONDS = 30
KEEP_IDLE_CONNECTIONS = 8

# Lines end in CRLF on the wire: smtplib fixes the line ends of text, not of bytes.
_SMTP_POLICY = compat32.clone(linesep="\r\n")


def email_message(email: Email, sender: str) -> MIMEMultipart:
    """multipart/alternative, text then HTML (clients show the last one they can),
    both UTF-8; the Message-ID is the email's own so that a resend keeps it.

    Built with the classic (compat32) email API: the modern one parses every header
    it is given back into objects, which made building an email cost several times
    rendering its text."""
    message = MIMEMultipart("alternative")
    message["From"] = formataddr(parseaddr(sender), charset="utf-8")
    message["To"] = email.to
    message["Subject"] = (
        email.subject if email.subject.isascii() else Header(email.subject, "utf-8")
    )
    message["Date"] = format_datetime(datetime.now(UTC))
    message_id = email.message_id.strip()
    message["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}>"
    # RFC 3834: out-of-office robots must not answer an automatic message.
    message["Auto-Submitted"] = "auto-generated"
    message.attach(MIMEText(email.text, "plain", "utf-8"))
    message.attach(MIMEText(email.html, "html", "utf-8"))
    return message


class SmtpChannel:
    """Sends each email over its own SMTP session, or a batch of them over one
    (`session()`): plain, STARTTLS (`starttls`) or TLS from the first byte
    (`use_ssl`, usually port 465), with AUTH when a username is set. Certificates
    are verified against the system's CAs, or `cafile`. With eventlet's
    monkey-patching smtplib waits on green sockets like any worker."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        sender: str = "partanum@localhost",
        timeout: float = 10.0,
        cafile: str | None = None,
    ):
        if starttls and use_ssl:
            raise ValueError("choose STARTTLS or SSL, not both")
        self.host, self.port = host, int(port)
        self.username, self.password = username or None, password or ""
        self.starttls, self.use_ssl = starttls, use_ssl
        self.sender, self.timeout = sender, timeout
        self.cafile = cafile or None
        # smtplib would look up our own name (getfqdn) on every connection.
        self.local_hostname = socket.getfqdn()
        self._idle: list[tuple[float, _SmtpSession]] = []  # (since, session), oldest first

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._tls_context(),
            )
        return smtplib.SMTP(
            self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
        )

    def send(self, email: Email) -> None:
        with self.session() as session:
            session.send(email)

    @contextmanager
    def session(self):
        """One SMTP connection for the emails sent inside the block (a batch): the
        connection, greeting and TLS handshake are paid once, not per email. The
        connection is kept for the next batch, up to KEEP_IDLE_SECONDS."""
        session = self._idle_session() or _SmtpSession(self)
        try:
            yield session
        except BaseException:
            session.close()
            raise
        self._keep(session)

    def close_idle(self) -> None:
        while self._idle:
            self._idle.pop()[1].close()

    def _idle_session(self) -> "_SmtpSession | None":
        self._close_expired()
        return self._idle.pop()[1] if self._idle else None

    def _keep(self, session: "_SmtpSession") -> None:
        if session.smtp is None:  # closed after an error: nothing worth keeping
            return
        self._idle.append((time.monotonic(), session))
        while len(self._idle) > KEEP_IDLE_CONNECTIONS:
            self._idle.pop(0)[1].close()
        self._close_expired()

    def _close_expired(self) -> None:
        oldest_kept = time.monotonic() - KEEP_IDLE_SECONDS
        while self._idle and self._idle[0][0] < oldest_kept:
            self._idle.pop(0)[1].close()

    def _deliver(self, smtp: smtplib.SMTP, email: Email) -> None:
        message = email_message(email, self.sender).as_bytes(policy=_SMTP_POLICY)
        try:
            smtp.sendmail(parseaddr(self.sender)[1], [email.to], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise self._refused("recipient refused", code, reply, email.to) from None
        except smtplib.SMTPDataError as error:
            raise self._refused(
                "message refused", error.smtp_code, error.smtp_error, email.to
            ) from None
        except smtplib.SMTPSenderRefused as error:
            raise DeliveryFailed(
                f"sender refused: {error.smtp_code} {_reply(error.smtp_error, email.to)}"
            ) from None

    def _open(self) -> smtplib.SMTP:
        smtp = self._connect()
        try:
            if self.starttls:
                # Never falls back to plain text: no STARTTLS, no sending.
                smtp.starttls(context=self._tls_context())
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def _refused(what, code, reply, to) -> DeliveryFailed:
        # 5xx: this address or this message will never be accepted; 4xx: try later.
        return DeliveryFailed(f"{what}: {code} {_reply(reply, to)}", permanent=500 <= code < 600)


def _reply(reply, to) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return without_contacts(reply, to)


class _SmtpSession:
    """Sends over one connection, opened at the first email. A connection the server
    has dropped since the last email is opened again once; an email the server has
    answered (accepted or refused) is never sent twice by this."""

    def __init__(self, channel: SmtpChannel):
        self.channel = channel
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: Email) -> None:
        reused = self.smtp is not None
        try:
            try:
                if self.smtp is None:
                    self.smtp = self.channel._open()
                self.channel._deliver(self.smtp, email)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                self.close()  # idle too long for the server: a fresh connection, once
                self.smtp = self.channel._open()
                self.channel._deliver(self.smtp, email)
        except DeliveryFailed:
            raise  # answered: the connection is still good
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise DeliveryFailed(f"SMTP login refused: {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise DeliveryFailed(
                f"SMTP server answered {error.smtp_code} {_reply(error.smtp_error, email.to)}"
            ) from None
        except smtplib.SMTPNotSupportedError:
            self.close()
            raise DeliveryFailed("SMTP server does not offer STARTTLS or AUTH") from None
        except (smtplib.SMTPException, OSError) as error:  # refused, timed out, TLS
            self.close()
            raise DeliveryFailed(
                f"SMTP server unreachable: {type(error).__name__}: "
                f"{without_contacts(str(error), email.to)}"
            ) from None

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


# --- SMS -----------------------------------------------------------------------------


def e164(number: str, country_code: str = "33") -> str:
    """ "06 12 34 56 78" → "+33612345678": gateways want international numbers; a
    national one (leading 0) is taken as the network's own country."""
    digits = re.sub(r"[^\d+]", "", number)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("+"):
        return digits
    if digits.startswith("0"):
        return f"+{country_code}{digits[1:]}"
    return "+" + digits


def masked(number: str) -> str:
    """ "06 12 34 56 78" → "********78": enough to tell two numbers apart in a log."""
    digits = re.sub(r"\D", "", number)
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


class HttpSmsChannel:
    """An SMS gateway's HTTP API, in the shape of Sinch's batches API (other
    gateways take the same few fields under other names):

        POST <url>                                    e.g. https://eu.sms.api.sinch.com/xms/v1/<plan>/batches
        Authorization: Bearer <api_key>
        Content-Type: application/json
        {"from": "<sender>", "to": ["+33612345678"], "body": "<text>",
         "type": "mt_text", "client_reference": "<reference>"}

    2xx: accepted. 4xx: this message is refused for good (a bad number, say), except
    401 and 403 (our key is refused), 408 and 429 (too soon), which like 5xx,
    timeouts and refused connections are temporary. `client_reference` stays the
    same when a message is sent again, for the gateway's records and our own."""

    def __init__(
        self, url: str, api_key: str, sender: str, timeout: float = 10.0, country_code: str = "33"
    ):
        self.url, self.api_key, self.sender, self.timeout = url, api_key, sender, timeout
        self.country_code = country_code

    def request_body(self, sms: Sms) -> dict:
        return {
            "from": self.sender,
            "to": [e164(sms.to, self.country_code)],
            "body": sms.text,
            "type": "mt_text",
            "client_reference": sms.reference,
        }

    def send(self, sms: Sms) -> None:
        try:
            response = requests.post(
                self.url,
                json=self.request_body(sms),
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.api_key}"},
            )
        except requests.Timeout:
            raise DeliveryFailed("SMS gateway timed out") from None
        except requests.RequestException as error:
            raise DeliveryFailed(f"SMS gateway unreachable: {type(error).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        reply = without_contacts(
            response.text, sms.to
        )  # in any form: numbers are taken out by shape
        permanent = 400 <= status < 500 and status not in (401, 403, 408, 429)
        raise DeliveryFailed(f"SMS gateway answered {status}: {reply}", permanent=permanent)


class LogSmsChannel:
    """The default: each SMS appended to a local file as one JSON line, so that the
    demo works offline. The number is masked: contact details stay out of logs.

        {"at": "2025-03-04T09:12:00+00:00", "to": "********78", "reference": "…", "text": "…"}
    """

    def __init__(self, path):
        self.path = Path(path)

    def send(self, sms: Sms) -> None:
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "to": masked(sms.to),
                "reference": sms.reference,
                "text": sms.text,
            },
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write of one line in append mode: lines from concurrent sends do not mix.
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
        except OSError as error:
            raise DeliveryFailed(f"SMS log not writable: {error.strerror}") from None


# --- from the configuration --------------------------------------------------------------


def channels_from_config(config: dict) -> dict:
    """{"email": SmtpChannel, "sms": HttpSmsChannel or LogSmsChannel}, keyed by the
    resident's channel preference, from the notifications' settings in the nameko config."""
    settings = Settings.from_config(config)
    email = SmtpChannel(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        use_ssl=settings.smtp_ssl,
        sender=settings.smtp_sender,
        timeout=SEND_TIMEOUT_SECONDS,
        cafile=settings.smtp_ca_file,
    )
    if settings.sms_provider == "http":
        sms = HttpSmsChannel(
            url=settings.sms_url,
            api_key=settings.sms_api_key,
            sender=settings.sms_sender,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    else:
        sms = LogSmsChannel(settings.sms_log)
    return {"email": email, "sms": sms}
