"""The deployment in compose.yaml keeps its promises: it is a valid compose file,
and every service of the code base runs on a healthy broker and its own database.

Needs Debian's `docker-compose` (1.29), which validates a file without a Docker engine."""
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
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dependency", ["rabbitmq", "postgres"])
def test_the_broker_and_the_database_report_their_health(compose, dependency):
    assert compose[dependency]["healthcheck"]["test"]


@pytest.mark.parametrize("service", IMPLEMENTED)
def test_each_service_starts_once_the_broker_and_the_database_are_healthy(compose, service):
    depends_on = compose[service]["depends_on"]
    for dependency in ("rabbitmq", "postgres"):
        assert depends_on[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", IMPLEMENTED)
def test_each_service_has_a_database_of_its_own(compose, service):
    url = urlparse(compose[service]["environment"][f"{service.upper()}_DATABASE_URL"])
    assert (url.hostname, url.path) == ("postgres", f"/{service}")
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    assert f"CREATE DATABASE {service};" in init_sql


@pytest.mark.parametrize("service", IMPLEMENTED)
def test_each_service_talks_to_the_deployed_broker(compose, service):
    assert urlparse(compose[service]["environment"]["AMQP_URI"]).hostname == "rabbitmq"
