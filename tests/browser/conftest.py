"""Tests in a real browser: Debian's Chromium driven by Playwright, against the whole
system running as processes (tests/e2e/gateway_system.py), with axe-core checking
every page state a journey reaches (tests/browser/helpers.py `assert_accessible`).

This layer runs in a pytest process of its own, without eventlet's patching (see
tests/conftest.py): `make test` runs it after the others. One Chromium and one
running system serve the whole session, as five processes take a minute to start
on two cores; each test therefore makes the residents and devices it works with
(`fresh`), and never changes what others rely on (the two partners' sites, hours
and accounts of gateway_system.ACCOUNTS).

    def test_lending(staff_page, fresh):
        tag = fresh.device("laptop")
        card = fresh.resident()["card_number"]
        staff_page.goto("/desk")
        ...

A failed test leaves a screenshot of each of its pages in test-artifacts/browser/.
"""

import itertools
import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.browser.helpers import sign_in
from tests.e2e import gateway_system
from tests.waiting import wait_until

if os.environ.get("PARTANUM_BROWSER_TESTS") != "1":
    # Named on the command line, these tests would be collected in a process that
    # eventlet has patched, where Playwright hangs until a timeout instead of failing.
    raise pytest.UsageError(
        "the browser tests run in a pytest process of their own: "
        "PARTANUM_BROWSER_TESTS=1 python -m pytest tests/browser/… (make test does it)"
    )

CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that calls out: this machine's network is closed, and
# Chromium's background requests would be refused many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

STAFF_JEAN_VILAR = "staff@jean-vilar.test"
STAFF_MISTRAL = "staff@mistral.test"
MANAGER = "manager@angers.test"
ADMIN = "admin@angers.test"


# --- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def open_page(request, chromium, system):
    """Open a page in a browser of its own (own cookies): `open_page(language="ar",
    viewport=PHONE)`; the language is the browser's (Accept-Language)."""
    contexts = []

    def make(language="fr", viewport=DESKTOP, javascript=True, **options):
        context = chromium.new_context(
            base_url=system.url.rstrip("/"),
            locale=language,
            viewport=viewport,
            java_script_enabled=javascript,
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if getattr(request.node, "failed_call", False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for number, context in enumerate(contexts):
            for page_number, page in enumerate(context.pages):
                page.screenshot(
                    path=ARTIFACTS / f"{name}-{number}-{page_number}.png", full_page=True
                )
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A French browser on a desktop screen, nobody signed in."""
    return open_page()


@pytest.fixture
def staff_page(open_page):
    """Centre Jean Vilar's front desk, signed in, on the desk page."""
    opened = open_page()
    sign_in(opened, STAFF_JEAN_VILAR)
    return opened


# --- the system ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def amqp_uri(request):
    """A vhost of the session's own on the machine's RabbitMQ, deleted at the end."""
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    api = request.config.getoption("RABBIT_API_URI").rstrip("/")
    vhost = f"partanum_browser_{uuid.uuid4().hex[:8]}"
    auth = (broker.username or "guest", broker.password or "guest")
    requests.put(f"{api}/api/vhosts/{vhost}", auth=auth, timeout=10).raise_for_status()
    requests.put(
        f"{api}/api/permissions/{vhost}/{auth[0]}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        auth=auth,
        timeout=10,
    ).raise_for_status()
    yield f"{broker.scheme}://{broker.netloc}/{quote(vhost)}"
    requests.delete(f"{api}/api/vhosts/{vhost}", auth=auth, timeout=10)


@pytest.fixture(scope="session")
def system(amqp_uri, tmp_path_factory):
    """The five services as processes, the two partners of gateway_system.register_network
    and the accounts of gateway_system.ACCOUNTS (password gateway_system.PASSWORD)."""
    # Every test signs in from this one address, some fail on purpose (a disabled
    # account, an old password), and several modules sign the network's residents in
    # with a code: the limits per address and per resident (their own tests are in
    # tests/integration/test_gateway_sign_in_limits.py) would soon refuse everyone.
    with gateway_system.running(
        amqp_uri,
        tmp_path_factory.mktemp("system"),
        PARTANUM_SIGN_IN_ADDRESS_ATTEMPTS="100000",
        PARTANUM_SIGN_IN_CODES_PER_WINDOW="1000",
    ) as system:
        yield system


class Fresh:
    """Residents and devices of one test's own, registered over RPC as the network's
    staff would have done before the test."""

    numbers = itertools.count(1)

    def __init__(self, system):
        self.system = system

    def partner(self, code: str):
        world = self.system.world
        return world.jean_vilar if code == "jean-vilar" else world.mistral

    def device(self, category="laptop", partner="jean-vilar", **changes) -> str:
        """A new device, known to the booking when this returns; its asset tag."""
        prefix = "JV" if partner == "jean-vilar" else "MI"
        tag = f"{prefix}-{category[:3].upper()}-{uuid.uuid4().hex[:6].upper()}"
        with self.system.rpc() as rpc:
            rpc.inventory.register_item(
                {**gateway_system.device(tag, category, partner), **changes}
            )
            window = gateway_system.local_window(days_ahead=300, hour=10, hours=1)
            category_id = self.system.world.categories[category]
            wait_until(
                lambda: (
                    tag
                    in rpc.booking.availability({"category_id": category_id, **window})[
                        "asset_tags"
                    ]
                ),
                timeout=30,
                what=f"the booking to know {tag}",
            )
        return tag

    def resident(self, partner="jean-vilar", language="fr", **changes) -> dict:
        """A resident registered by `partner`, with a card; the booking's answer."""
        number = next(self.numbers)
        unique = uuid.uuid4().hex[:6]
        with self.system.rpc() as rpc:
            return rpc.booking.register_resident(
                {
                    "display_name": f"Habitant {number} {unique}",
                    "email": f"resident-{unique}@residents.test",
                    "channel": "email",
                    "language": language,
                    "consent": True,
                    "card_number": f"RS-{unique.upper()}",
                    "registered_by_partner_id": self.partner(partner).id,
                    **changes,
                }
            )


@pytest.fixture
def fresh(system):
    return Fresh(system)
