"""The deployment in compose.yaml keeps its promises: it is a valid compose file,
every service of the code base runs on a healthy broker and its own database, is
restarted when it dies and can run as several containers.

Needs Debian's `docker-compose` (1.29), which validates a file without a Docker engine."""

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from partanum.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
IMPLEMENTED = [name for name in SERVICES if (ROOT / "services" / name / "service.py").exists()]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def test_the_compose_file_is_valid():
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is not installed: apt-get install docker-compose")
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env={**os.environ, "PARTANUM_SECRET_KEY": "a long random value"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dependency", ["rabbitmq", "postgres"])
def test_the_broker_and_the_database_report_their_health(compose, dependency):
    assert compose[dependency]["healthcheck"]["test"]


@pytest.fixture(params=IMPLEMENTED)
def service(request, compose):
    """(name, definition) of each service the code base implements."""
    name = request.param
    if name not in compose:
        pytest.fail(f"services/{name}/service.py exists but compose.yaml does not deploy {name}")
    return name, compose[name]


def test_each_service_starts_once_the_broker_and_the_database_are_healthy(service):
    _name, definition = service
    for dependency in ("rabbitmq", "postgres"):
        assert definition["depends_on"][dependency]["condition"] == "service_healthy"


def test_each_service_has_a_database_of_its_own(service):
    name, definition = service
    url = urlparse(definition["environment"][f"{name.upper()}_DATABASE_URL"])
    assert (url.hostname, url.path) == ("postgres", f"/{name}")
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert f"CREATE DATABASE {name};" in init_sql


def test_each_service_talks_to_the_deployed_broker(service):
    _name, definition = service
    assert urlparse(definition["environment"]["AMQP_URI"]).hostname == "rabbitmq"


def test_each_service_reports_its_own_health(service):
    name, definition = service
    assert definition["healthcheck"]["test"] == ["CMD", "python", "-m", "partanum.health", name]


@pytest.mark.parametrize("dependency", ["rabbitmq", "postgres"])
def test_the_broker_and_the_database_are_restarted_when_they_die(compose, dependency):
    assert compose[dependency]["restart"] in ("always", "unless-stopped")


def test_each_service_is_restarted_when_it_dies(service):
    _name, definition = service
    assert definition["restart"] in ("always", "unless-stopped")


def test_each_service_can_run_as_several_containers(service):
    """`docker compose up --scale booking=2`: a fixed container name, or a fixed
    host port, would let only one of them start."""
    _name, definition = service
    assert "container_name" not in definition
    for port in definition.get("ports", []):
        host, _container = str(port).rsplit(":", 1)
        first, _, last = host.partition("-")
        assert last and int(last) > int(first), f"{port} publishes one host port only"


def test_every_service_gets_the_one_secret_key_and_compose_refuses_to_start_without_it(compose):
    for name in ("inventory", "booking", "notifications", "audit", "gateway"):
        assert compose[name]["environment"]["PARTANUM_SECRET_KEY"].startswith(
            "${PARTANUM_SECRET_KEY:?"
        ), name
    environment = {k: v for k, v in os.environ.items() if k != "PARTANUM_SECRET_KEY"}
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "PARTANUM_SECRET_KEY" in result.stderr
