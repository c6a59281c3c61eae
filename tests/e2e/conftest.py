"""End-to-end tests: the services run as real processes (`python -m partanum.run`),
exactly as deployed, against the real RabbitMQ (a fresh vhost per test) and real
databases. Tests talk to them over RPC and may kill them or restart the broker.
Test harnesses (the probe consumer) may run inside the test process."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nameko.exceptions import UnknownService

from partanum.standalone import ClusterRpcProxy
from tests import probe
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """One service process; `start()` again after `kill()` to model a restart."""

    def __init__(self, name, env, log_path, services=None):
        """`services`: what the process runs, several as `make run` does; `name` alone
        by default."""
        self.name, self.env, self.log_path = name, env, log_path
        self.services = list(services or [name])
        self.process = None

    def start(self, *options, **extra_env):
        """`options` for partanum.run, e.g. "--no-migrate"."""
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "partanum.run", *self.services, *options],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def kill(self):
        """SIGKILL: no clean-up, as in a power cut or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def service_process(rabbit_config, tmp_path):
    """Start service processes on this test's vhost; all stopped at the end."""
    started = []

    def make(name, database_url, **env):
        process_env = {
            **os.environ,
            "AMQP_URI": rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://"),
            f"{name.upper()}_DATABASE_URL": database_url,
            "PARTANUM_RELAY_POLL_INTERVAL": "0.2",
            **env,
        }
        process = ServiceProcess(name, process_env, tmp_path / f"{name}.log")
        started.append(process)
        return process

    yield make
    for process in started:
        process.stop()


@pytest.fixture
def rpc(rabbit_config):
    """A cluster RPC proxy acting as a member of staff."""
    with ClusterRpcProxy(rabbit_config, context_data={"actor": "staff:e2e"}, timeout=30) as proxy:
        yield proxy


def wait_until_serving(rpc, process, timeout=30):
    def answers():
        if process.process.poll() is not None:
            raise AssertionError(f"{process.name} exited:\n{process.log()}")
        try:
            getattr(rpc, process.name).list_partners()
            return True
        except UnknownService:
            return False

    wait_until(answers, timeout=timeout, what=f"{process.name} to serve")


@pytest.fixture
def probe_engine(container_factory, rabbit_config, engine_for, tmp_path):
    """The probe consumer, running in the test process with its own database."""
    url = f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    engine = engine_for(url)
    probe.create_tables(engine)
    config = {**rabbit_config, "DATABASE_URLS": {"probe": url}, "RETRY_BASE_DELAY": 0.05}
    container_factory(probe.Probe, config).start()
    return engine


# --- the whole system behind the gateway (tests/e2e/gateway_system.py) -----------------


@pytest.fixture(scope="module")
def module_amqp_uri(request, vhost_pipeline):
    """A fresh vhost shared by one test module's tests (starting four processes per
    test would take most of the run)."""
    from urllib.parse import urlparse

    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{broker.scheme}://{broker.netloc}/{vhost}"


@pytest.fixture(scope="module")
def system(module_amqp_uri, tmp_path_factory):
    """Inventory, booking, notifications and the gateway running as processes, with
    the network of gateway_system.register_network; see that module."""
    from tests.e2e import gateway_system

    with gateway_system.running(module_amqp_uri, tmp_path_factory.mktemp("system")) as system:
        yield system
