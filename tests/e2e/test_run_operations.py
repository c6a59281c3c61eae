"""`python -m partanum.run` as an operator meets it: stopped by any number of signals
(`make run`'s Ctrl-C trap and a group kill both send SIGTERM), refusing to start on
an address another process holds, or with a setting it cannot use, or on a broker
still holding the classic queues of an earlier version, until they are moved over."""

import os
import signal
import socket
import subprocess
import sys

import pika
import pytest

from partanum import topology
from partanum.deadletters import broker_parameters
from tests.e2e.conftest import ROOT
from tests.e2e.gateway_system import SERVICES, free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
STOP_SECONDS = 10  # what orchestrators wait after SIGTERM before they SIGKILL


@pytest.fixture
def run(rabbit_config, new_database, tmp_path):
    """run(*services, database_kind=..., address=..., **env) → partanum.run started as
    `make run` does, on this test's vhost; killed at the end if still running."""
    started = []

    def start(*services, database_kind="sqlite", address=None, **extra_env):
        env = {
            **os.environ,
            "AMQP_URI": rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://"),
            "PARTANUM_DATA_DIR": str(tmp_path),
            "PARTANUM_HTTP_ADDRESS": address or f"127.0.0.1:{free_port()}",
            **{f"{name.upper()}_DATABASE_URL": new_database(database_kind) for name in services},
            **extra_env,
        }
        with open(tmp_path / "run.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "partanum.run", *services],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process.log = lambda: (tmp_path / "run.log").read_text(errors="replace")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_any_number_of_sigterms_stop_all_the_services_within_ten_seconds(run, database_kind):
    process = run(*SERVICES, database_kind=database_kind)
    wait_until(
        lambda: "INFO serving " in process.log() or process.poll() is not None,
        timeout=90,
        what="partanum.run to serve",
    )
    assert process.poll() is None, process.log()

    for signum in (signal.SIGTERM, signal.SIGTERM, signal.SIGTERM, signal.SIGINT):
        process.send_signal(signum)
        try:  # signals spread as from a shell's trap and a group kill
            process.wait(timeout=0.3)
            break
        except subprocess.TimeoutExpired:
            pass

    assert process.wait(timeout=STOP_SECONDS) == 0, process.log()[-3000:]
    assert "Traceback" not in process.log()


def test_an_address_already_in_use_is_a_clear_error_at_start_and_nothing_serves(run):
    with socket.socket() as holder:
        # As any eventlet server holds it (the gateway itself until it bound alone):
        # with SO_REUSEPORT, which let a second gateway share the port silently.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        address = f"127.0.0.1:{holder.getsockname()[1]}"

        process = run("gateway", "booking", address=address)
        exit_code = process.wait(timeout=60)

    assert exit_code != 0
    assert f"cannot serve HTTP on {address}: Address already in use" in process.log()
    assert "INFO serving" not in process.log() and "starting services" not in process.log()


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("PARTANUM_MAX_LOANS_PER_RESIDENT", "two", "valid integer"),
        ("PARTANUM_QUIET_FROM", "25:00", "valid time format"),
        ("PARTANUM_SMS_PROVIDER", "fax", "'log' or 'http'"),
    ],
)
def test_a_bad_setting_stops_the_start_with_one_line_naming_the_variable(
    run, variable, value, expected
):
    process = run("booking", "notifications", **{variable: value})

    assert process.wait(timeout=60) == 2
    log = process.log()
    said = [line for line in log.splitlines() if variable in line]
    assert len(said) == 1
    assert said[0].startswith(f"Cannot start booking, notifications: {variable}: ")
    assert expected in said[0] and value not in said[0]
    assert "Traceback" not in log and "INFO serving" not in log


def test_classic_queues_of_an_earlier_version_are_named_then_moved_over_messages_kept(
    run, rabbit_config, monkeypatch
):
    # A deployment moving to a cluster says so; the services read it, and so does migrate.
    monkeypatch.setenv("PARTANUM_QUEUE_TYPE", "quorum")
    amqp_uri = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://")
    connection = pika.BlockingConnection(broker_parameters(amqp_uri))
    channel = connection.channel()
    # As an earlier version left its vhost: every queue classic, some holding messages.
    for name in topology.all_queue_names():
        channel.queue_declare(name, durable=True)
    held = {"booking.inventory": 3, "audit.events.dead": 1, "notifications.events.retry": 2}
    for name, count in held.items():
        for n in range(count):
            channel.basic_publish("", name, f"{name} {n}".encode())
    # and a move a crash interrupted: the queue deleted, its messages in `.moving`.
    channel.queue_delete("gateway.booking")
    channel.queue_declare(
        "gateway.booking.moving",
        durable=True,
        arguments=topology.quorum(topology.PARKED_DELIVERY_LIMIT),
    )
    channel.basic_publish("", "gateway.booking.moving", b"gateway.booking 0")
    held["gateway.booking"] = 1
    connection.close()

    process = run("inventory")
    assert process.wait(timeout=60) == 2
    log = process.log()
    assert "still has the classic queues of an earlier Partanum version" in log
    assert "python -m partanum.topology migrate" in log
    assert "Traceback" not in log and "INFO serving" not in log

    moved = topology.migrate(amqp_uri, report=lambda line: None)

    assert topology.classic_queues(amqp_uri) == []
    assert {name: count for name, count in moved.items() if count} == held
    assert topology.migrate(amqp_uri, report=lambda line: None) == {}  # nothing left to do
    connection = pika.BlockingConnection(broker_parameters(amqp_uri))
    try:
        channel = connection.channel()
        for name, count in held.items():
            assert channel.queue_declare(name, passive=True).method.message_count == count
        # The bindings of the queues deleted are back.
        channel.confirm_delivery()
        channel.basic_publish(topology.EVENTS_EXCHANGE, "inventory.item_registered", b"{}")
        assert channel.queue_declare("booking.inventory", passive=True).method.message_count == 4
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as gone:
            channel.queue_declare("gateway.booking.moving", passive=True)
        assert gone.value.reply_code == 404
    finally:
        if connection.is_open:
            connection.close()
