"""The whole system as deployed, driven over HTTP like its users drive it.

Inventory, booking, notifications, audit and the gateway run as real processes
(`python -m partanum.run <service>`, one each) on a fresh RabbitMQ vhost, each with
its own fresh SQLite database; the notifications service sends email to a real
SMTP server (tests/smtp_server.py), which is where a resident's one-time sign-in
code is read from, as the resident would read it. The network (partners, sites,
categories, items) and two residents are set up over RPC, the staff accounts
written into the gateway's database as an operator bootstraps them; everything a
user does afterwards goes through the gateway's HTTP API.

    system.client()                          # nobody signed in
    system.sign_in("staff@jean-vilar.test")  # a requests session with its bearer token
    system.resident_session(resident)        # signed in with the code received by email
    system.world                             # ids of partners, categories, residents
"""

import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests
from nameko.exceptions import UnknownService

from partanum.standalone import ClusterRpcProxy
from tests.e2e.conftest import ServiceProcess
from tests.smtp_server import SmtpServer
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("inventory", "booking", "notifications", "audit", "gateway")
PASSWORD = "correct horse battery staple"
SECRET_KEY = "e2e secret key"
STARTUP_SECONDS = 90  # five processes migrating and starting on a 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client(requests.Session):
    """A requests session whose paths are relative to the gateway's address."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url
        self.headers["Accept"] = "application/json"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 60)
        return super().request(method, urljoin(self.base_url, url), *args, **kwargs)


@dataclass
class System:
    url: str
    amqp_uri: str
    processes: dict
    smtp: SmtpServer
    databases: dict
    world: "World | None" = None
    urls: list | None = None  # every gateway's address; `url` is the first's

    # --- talking to it ------------------------------------------------------------------

    def client(self, gateway: int = 0) -> Client:
        """`gateway`: which of the gateways' replicas answers (the first by default)."""
        return Client((self.urls or [self.url])[gateway])

    @contextmanager
    def rpc(self, actor="staff:e2e-setup"):
        with ClusterRpcProxy(
            {"AMQP_URI": self.amqp_uri}, context_data={"actor": actor}, timeout=30
        ) as proxy:
            yield proxy

    def sign_in(self, email: str, password: str = PASSWORD, gateway: int = 0) -> Client:
        """A member of staff (or the administrator) signed in with their password."""
        client = self.client(gateway)
        response = client.post("/api/sign-in", json={"email": email, "password": password})
        assert response.status_code == 200, (email, response.status_code, response.text)
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client

    def resident_session(self, resident: dict) -> Client:
        """A resident signed in with the one-time code sent to their email address."""
        client = self.client()
        already = len(self.smtp.messages())
        response = client.post("/api/residents/sign-in", json={"email": resident["email"]})
        assert response.status_code == 202, (response.status_code, response.text)
        code = self.wait_for_code(resident["email"], after=already)
        response = client.post(
            "/api/residents/sign-in/verify", json={"email": resident["email"], "code": code}
        )
        assert response.status_code == 200, (response.status_code, response.text)
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client

    def wait_for_code(self, address: str, after: int = 0) -> str:
        """The one-time code in the latest message to `address` past the first `after`."""

        def code():
            # Other messages (a loan's confirmation) may arrive meanwhile: the code's has six digits.
            for received in reversed(self.smtp.messages()[after:]):
                if address in received.rcpt_tos:
                    body = received.message.get_body(("plain",)).get_content()
                    found = re.search(r"\b(\d{6})\b", body)
                    if found:
                        return found.group(1)
            return None

        return wait_until(code, timeout=30, what=f"a sign-in code for {address}")

    def add_account(self, email: str, role: str, partner_id: int | None = None) -> int:
        """An account written into the gateway's database, as an operator bootstraps
        the first administrator; returns its id."""
        from sqlalchemy.orm import Session

        from partanum.db import make_engine
        from services.gateway import accounts

        engine = make_engine(self.databases["gateway"])
        try:
            with Session(engine) as session:
                account = accounts.create(
                    session,
                    {
                        "email": email,
                        "role": role,
                        "partner_id": partner_id,
                        "password": PASSWORD,
                        "display_name": email.split("@")[0],
                    },
                    datetime.now(UTC),
                )
                session.commit()
                return account.id
        finally:
            engine.dispose()

    # --- its state ----------------------------------------------------------------------

    def log(self, service: str) -> str:
        return self.processes[service].log()

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.process.poll() is not None:
                raise AssertionError(f"{name} exited:\n{process.log()[-5000:]}")


def start(
    amqp_uri: str,
    workdir: Path,
    services=SERVICES,
    databases: dict | None = None,
    together: bool = False,
    replicas: int = 1,
    apart: tuple = (),
    **extra_env,
) -> "System":
    """Start the processes (the five by default, on SQLite unless `databases` gives each
    service's URL; `together`: all in one process, as `make run` runs them) and the
    SMTP server; return once the gateway answers HTTP.
    `replicas`: processes per service, competing for its queues as replicas on several
    machines do; process `booking` is the first, `booking-2` the second, and so on
    (every gateway on its own port: `System.urls`). The first migrates the database,
    the others start once it serves, with --no-migrate.
    `apart`: with `together`, services that run in a process of their own all the same
    (process `booking` for "booking"), for a test to kill one alone.
    `extra_env`: more environment variables, e.g. PARTANUM_RPC_TIMEOUT="16"."""
    smtp = SmtpServer(workdir / "mail").start()
    port = free_port()
    ports = [port] + [free_port() for _ in range(replicas - 1)]
    databases = databases or {
        name: f"sqlite:///{workdir / (name + '.sqlite3')}" for name in services
    }
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "AMQP_URI": amqp_uri.replace("pyamqp://", "amqp://"),
        **{f"{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
        "PARTANUM_DATA_DIR": str(workdir),
        "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{port}",
        "PARTANUM_RELAY_POLL_INTERVAL": "0.2",
        "PARTANUM_RETRY_BASE_DELAY": "0.1",
        "PARTANUM_SMTP_HOST": smtp.host,
        "PARTANUM_SMTP_PORT": str(smtp.port),
        # Messages go out at once whatever the hour the tests run at.
        "PARTANUM_QUIET_FROM": "00:00",
        "PARTANUM_QUIET_UNTIL": "00:00",
        "PARTANUM_MAX_MESSAGES_PER_DAY": "1000",
        "PARTANUM_SMS_LOG": str(workdir / "sms.log"),
        # Known to the tests, which sign a suggestion as the audit service would.
        "PARTANUM_SECRET_KEY": SECRET_KEY,
        **extra_env,
    }
    processes = (
        {
            "all": ServiceProcess(
                "all", env, workdir / "all.log", [name for name in services if name not in apart]
            ),
            **{name: ServiceProcess(name, env, workdir / f"{name}.log") for name in apart},
        }
        if together
        else {name: ServiceProcess(name, env, workdir / f"{name}.log") for name in services}
    )
    others = {
        f"{name}-{n}": ServiceProcess(
            name,
            {**env, "PARTANUM_HTTP_ADDRESS": f"127.0.0.1:{ports[n - 1]}"},
            workdir / f"{name}-{n}.log",
        )
        for n in range(2, replicas + 1)
        for name in services
    }
    system = System(
        url=f"http://127.0.0.1:{port}/",
        amqp_uri=env["AMQP_URI"],
        processes=processes,
        smtp=smtp,
        databases=databases,
        urls=[f"http://127.0.0.1:{each}/" for each in ports],
    )
    try:
        for process in processes.values():
            process.start()
        with system.rpc() as rpc:
            for name in services:
                wait_for_health(system, rpc, name)
        for process in others.values():
            process.start("--no-migrate")
        processes.update(others)
        for process in others.values():
            wait_until(
                lambda process=process: serving(system, process),
                timeout=STARTUP_SECONDS,
                what=f"{process.log_path.stem} to serve",
            )
        for gateway in range(len(ports)):
            wait_until(
                lambda gateway=gateway: answers_http(system, gateway),
                timeout=STARTUP_SECONDS,
                what="the gateway to answer HTTP",
            )
    except BaseException:
        stop(system)
        raise
    return system


@contextmanager
def running(amqp_uri: str, workdir: Path, **extra_env):
    """The five processes with the network of register_network and the people of
    add_people; stopped on leaving. `extra_env` as for `start`."""
    system = start(amqp_uri, workdir, **extra_env)
    try:
        system.world = register_network(system)
        add_people(system)
        yield system
    finally:
        stop(system)


def wait_for_health(system: System, rpc, name: str) -> None:
    def healthy():
        system.check_alive()
        try:
            return getattr(rpc, name).health()["status"] == "ok"
        except UnknownService:
            return False

    wait_until(healthy, timeout=STARTUP_SECONDS, what=f"{name} to report healthy")


def serving(system: System, process: ServiceProcess) -> bool:
    system.check_alive()
    return "partanum.run INFO serving" in process.log()


def answers_http(system: System, gateway: int = 0) -> bool:
    system.check_alive()
    try:
        return system.client(gateway).get("/api/me", timeout=5).status_code == 401
    except requests.ConnectionError:
        return False


def stop(system: System) -> None:
    # Every process told at once, then each waited for: ten stop in the time of one.
    for process in system.processes.values():
        if process.process and process.process.poll() is None:
            process.process.terminate()
    for process in system.processes.values():
        process.stop()
    system.smtp.stop()


# --- the network the tests work in ----------------------------------------------------

# Open every day, all day: windows and due dates never fall on a closed day,
# whatever day the tests run.
ALWAYS_OPEN = {
    day: [["08:00", "20:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@dataclass
class Partner:
    id: int
    code: str
    tablets: list
    laptops: list


@dataclass
class World:
    """Two partners, each with its own site, tablets and laptops; ids as the services gave them."""

    jean_vilar: Partner
    mistral: Partner
    categories: dict  # code -> id
    residents: dict = None  # "jean-vilar"/"mistral" -> a resident registered by that partner


# Who signs in with a password: email -> (role, partner code or None).
ACCOUNTS = {
    "admin@angers.test": ("admin", None),
    "manager@angers.test": ("manager", None),
    "staff@jean-vilar.test": ("staff", "jean-vilar"),
    "staff@mistral.test": ("staff", "mistral"),
}


def register_network(system: System) -> World:
    with system.rpc() as rpc:
        partners = {}
        for code, name, prefix, tablets, laptops in (
            ("jean-vilar", "Centre Jean Vilar", "JV", 12, 3),
            ("mistral", "Espace Frédéric Mistral", "MI", 4, 2),
        ):
            partner = rpc.inventory.register_partner({"code": code, "name": name})
            rpc.inventory.register_site(
                {
                    "code": code,
                    "name": name,
                    "partner": code,
                    "address": "49100 Angers",
                    "opening_hours": ALWAYS_OPEN,
                }
            )
            partners[code] = Partner(
                partner["id"],
                code,
                [f"{prefix}-TAB-{n:03}" for n in range(1, tablets + 1)],
                [f"{prefix}-LAP-{n:03}" for n in range(1, laptops + 1)],
            )
        categories = {}
        for code, name in (("tablet", "Tablette"), ("laptop", "Ordinateur portable")):
            categories[code] = rpc.inventory.register_category({"code": code, "name": name})["id"]
        for partner in partners.values():
            for tag in partner.tablets:
                rpc.inventory.register_item(device(tag, "tablet", partner.code))
            for tag in partner.laptops:
                rpc.inventory.register_item(device(tag, "laptop", partner.code))
        rpc.booking.set_category_policy(categories["laptop"], {"loan_days": 14, "max_renewals": 1})
        world = World(partners["jean-vilar"], partners["mistral"], categories)
        # The booking learns the network from the inventory's events.
        everything = sum(len(p.tablets) + len(p.laptops) for p in partners.values())
        wait_until(
            lambda: booking_knows(rpc, world) == everything,
            timeout=30,
            what="the booking to know every item",
        )
    return world


def add_people(system: System) -> None:
    """The staff accounts of ACCOUNTS, and one resident registered by each partner."""
    world = system.world
    partners = {p.code: p for p in (world.jean_vilar, world.mistral)}
    for email, (role, partner) in ACCOUNTS.items():
        system.add_account(email, role, partners[partner].id if partner else None)
    world.residents = {}
    with system.rpc() as rpc:
        for code, name in (("jean-vilar", "Amina B."), ("mistral", "Yusuf K.")):
            world.residents[code] = rpc.booking.register_resident(
                {
                    "display_name": name,
                    "email": f"{name.split()[0].lower()}@residents.test",
                    "channel": "email",
                    "language": "fr",
                    "consent": True,
                    "card_number": f"RS-{partners[code].id:04d}",
                    "registered_by_partner_id": partners[code].id,
                }
            )


def device(tag: str, category: str, partner: str) -> dict:
    make, model = (
        ("Lenovo", "ThinkPad E14") if category == "laptop" else ("Samsung", "Galaxy Tab A8")
    )
    return {
        "asset_tag": tag,
        "make": make,
        "model": model,
        "category": category,
        "owner": partner,
        "home_site": partner,
        "accessories": ["chargeur"],
    }


def booking_knows(rpc, world: World) -> int:
    window = local_window(days_ahead=300, hour=10, hours=1)
    return sum(
        rpc.booking.availability({"category_id": category, **window})["free"]
        for category in world.categories.values()
    )


def local_window(days_ahead: int, hour: int, hours: int) -> dict:
    """{"starts_at", "ends_at"} at `hour` o'clock in Angers, `days_ahead` days from today."""
    day = date.today() + timedelta(days=days_ahead)
    starts = datetime.combine(day, time(hour), tzinfo=ZoneInfo("Europe/Paris"))
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
    }
