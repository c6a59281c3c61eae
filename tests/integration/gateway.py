"""Fixtures for the gateway's integration tests: a running gateway on a free port of
this machine, its own database migrated, and clients that sign in over HTTP. Loaded
as a pytest plugin by the root conftest, so a test only names the fixtures:

    def test_something(gateway):
        gateway.add_account("ines@jean-vilar.example", role="staff", partner_id=1)
        client = gateway.sign_in("ines@jean-vilar.example")
        assert client.get(gateway.url("/api/me")).json()["role"] == "staff"
"""

import socket
from datetime import UTC, datetime

import pytest
import requests

from partanum import migrate
from partanum.db import make_engine

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqlite_only():
    """What a module's tests prove is the gateway's: who may see and do what, over
    HTTP. It does not change with the services' database, which their own tests and
    test_gateway_core.py run on both kinds; SQLite alone keeps the suite within its
    time. A module opts in with `database_kind = sqlite_only`."""
    return "sqlite"


@pytest.fixture
def gateway_db(database_kind, new_database):
    url = new_database(database_kind)
    migrate.upgrade("gateway", url)
    return url


@pytest.fixture
def gateway_config(config_for, gateway_db):
    """The gateway's nameko config; change it before asking for `gateway`."""
    config = config_for(gateway=gateway_db)
    # Generous: the layers run side by side on two cores (tests/run.py), and a service's
    # first answer may wait on a busy machine; tests of the deadline itself set their own.
    config.update(WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}", RPC_TIMEOUT=15.0)
    return config


@pytest.fixture
def gateway(container_factory, gateway_config, gateway_db):
    from services.gateway.service import Service

    container = container_factory(Service, gateway_config)
    container.start()
    gateway = Gateway(container, gateway_config["WEB_SERVER_ADDRESS"], gateway_db)
    yield gateway
    gateway.close()


class Gateway:
    def __init__(self, container, address, database_url):
        self.container = container
        self.base = f"http://{address}"
        self.engine = make_engine(database_url)
        self.sessions = []

    def url(self, path: str) -> str:
        return self.base + path

    def add_account(
        self, email, role="staff", partner_id=None, password=PASSWORD, display_name=None
    ):
        """An account written straight into the gateway's database; returns its id."""
        from sqlalchemy.orm import Session

        from services.gateway import accounts, auth

        # Hashed here, in this green thread: the test has nothing else to do meanwhile,
        # and keeps the gateway's thread pool for the gateway.
        password_hash = auth._hasher.hash(password)
        with Session(self.engine) as session:
            account = accounts.create(
                session,
                {
                    "email": email,
                    "role": role,
                    "partner_id": partner_id,
                    "password": password,
                    "display_name": display_name or email.split("@")[0],
                },
                datetime.now(UTC),
                password_hash,
            )
            session.commit()
            return account.id

    def token_for(self, account_id=None, resident_id=None, issued_at=None, hours=12) -> str:
        """A token written straight into the database (to make one already expired)."""
        from datetime import timedelta

        from sqlalchemy.orm import Session

        from services.gateway import auth

        with Session(self.engine) as session:
            secret, _ = auth.issue_token(
                session,
                issued_at or datetime.now(UTC),
                timedelta(hours=hours),
                account_id=account_id,
                resident_id=resident_id,
            )
            session.commit()
            return secret

    def client(self, token=None) -> requests.Session:
        session = requests.Session()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        self.sessions.append(session)
        return session

    def sign_in(self, email, password=PASSWORD) -> requests.Session:
        answer = requests.post(
            self.url("/api/sign-in"), json={"email": email, "password": password}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return self.client(answer.json()["token"])

    def close(self):
        for session in self.sessions:
            session.close()
        self.engine.dispose()
