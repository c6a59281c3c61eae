"""A real SMTP server for tests, which keeps every message it receives.

aiosmtpd runs an asyncio loop, which does not mix with the eventlet hub of the test
process; so the server runs in a process of its own (`python -m tests.smtp_server`)
and writes each message it accepts into a directory that the test reads:

    server = SmtpServer(tmp_path / "mail").start()
    ...send to server.host, server.port...
    [received] = server.wait_for(1)
    received.message["Message-ID"], received.rcpt_tos, received.tls, received.login

Options: `username`/`password` (AUTH required), `tls="starttls"` (STARTTLS
required before AUTH or mail) or `tls="ssl"` (TLS from the first byte) with a
`certificate` from `self_signed_certificate`, and recipients to `refuse` (550,
whatever the case, quoting the address as the server knows it) or `defer` (450). The server exits when
the test process closes its stdin, so it cannot outlive a crashed test run.
"""

import argparse
import email
import email.policy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list
    message: email.message.EmailMessage
    tls: bool  # the session was encrypted (STARTTLS or SSL)
    login: str | None  # the user it authenticated as, if any
    connection: int  # the client's port: emails with the same one came over one connection


class SmtpServer:
    host = "127.0.0.1"

    def __init__(
        self,
        directory,
        username=None,
        password=None,
        tls=None,
        certificate=None,
        refuse=(),
        defer=(),
    ):
        self.directory = Path(directory)
        self.options = ["--maildir", str(self.directory)]
        if username:
            self.options += ["--username", username, "--password", password]
        if tls:
            cert, key = certificate
            self.options += ["--tls", tls, "--cert", str(cert), "--key", str(key)]
        for address in refuse:
            self.options += ["--refuse", address]
        for address in defer:
            self.options += ["--defer", address]
        self.process = None
        self.port = None

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_server", *self.options],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()  # "PORT 41234" once it listens
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(
                f"the test SMTP server did not start (exit {self.process.returncode})"
            )
        self.port = int(line.split()[1])
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.stdin.close()  # its cue to exit
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.process.stdout.close()

    def messages(self) -> list:
        received = []
        for meta in sorted(self.directory.glob("*.json"), key=lambda p: int(p.stem)):
            record = json.loads(meta.read_text())
            raw = meta.with_suffix(".eml").read_bytes()
            message = email.message_from_bytes(raw, policy=email.policy.default)
            received.append(
                Received(
                    record["mail_from"],
                    record["rcpt_tos"],
                    message,
                    record["tls"],
                    record["login"],
                    record["connection"],
                )
            )
        return received

    def wait_for(self, count, timeout=10.0) -> list:
        """The messages received, once there are at least `count` of them."""
        from tests.waiting import wait_until

        wait_until(
            lambda: len(list(self.directory.glob("*.json"))) >= count,
            timeout,
            what=f"{count} message(s) at the test SMTP server",
        )
        return self.messages()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def self_signed_certificate(directory, name="localhost"):
    """A throwaway certificate for `name` and 127.0.0.1; returns (cert path, key path).
    A client trusts it by taking the cert file as its CA file."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --- the server process ----------------------------------------------------------------


def serve(args):
    import asyncio
    import logging
    import ssl
    import threading
    import warnings

    from aiosmtpd.smtp import SMTP, AuthResult

    # Its notes on each session, and on AUTH over SSL (whose check only knows
    # STARTTLS), would only clutter the test output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    maildir = Path(args.maildir)
    counter = iter(range(1, 10**9))

    class Collector:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            # Mailboxes are matched whatever the case, and quoted as the server knows them.
            refused = [known for known in args.refuse if known.lower() == address.lower()]
            if refused:
                return f"550 5.1.1 <{refused[0]}>: Recipient address rejected: User unknown"
            if address in args.defer:
                return f"450 4.2.1 <{address}>: Mailbox busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            number = next(counter)
            (maildir / f"{number}.eml").write_bytes(envelope.original_content)
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "login": session.auth_data if session.authenticated else None,
                "connection": session.peer[1],
            }
            # Written then renamed: a reader sees the whole record or none of it.
            partial = maildir / f"{number}.json.part"
            partial.write_text(json.dumps(record))
            os.replace(partial, maildir / f"{number}.json")
            return "250 2.0.0 Message accepted for delivery"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            auth_data.login.decode() == args.username
            and auth_data.password.decode() == args.password
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data.login.decode())
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    auth = dict(auth_required=True, authenticator=authenticate) if args.username else {}

    def protocol():
        return SMTP(
            Collector(),
            hostname="localhost",
            decode_data=False,
            tls_context=context if args.tls == "starttls" else None,
            require_starttls=args.tls == "starttls",
            # With SSL the socket is TLS from the start, which aiosmtpd's
            # own check (did STARTTLS happen?) cannot see.
            auth_require_tls=args.tls == "starttls",
            **auth,
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(protocol, "127.0.0.1", 0, ssl=context if args.tls == "ssl" else None)
    )
    print("PORT", server.sockets[0].getsockname()[1], flush=True)

    def stop_when_stdin_closes():
        sys.stdin.read()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    loop.run_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--tls", choices=("starttls", "ssl"))
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    serve(parser.parse_args())


if __name__ == "__main__":
    main()
