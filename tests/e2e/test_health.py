"""The health check compose relies on: a service answers it once it serves."""

import pytest

from partanum import health
from tests.e2e.conftest import wait_until_serving

pytestmark = pytest.mark.slow


def test_a_serving_inventory_reports_healthy_and_a_stopped_one_does_not(
    service_process, rpc, inventory_db, rabbit_config, monkeypatch
):
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    inventory = service_process("inventory", inventory_db).start()
    wait_until_serving(rpc, inventory)

    assert health.main(["inventory"]) == 0

    inventory.stop()
    assert health.main(["inventory"]) == 1
