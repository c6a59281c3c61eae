"""A message settled on a connection the broker dropped meanwhile: nameko lets the
socket's error through, which killed the whole container during a broker outage."""

import logging
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionError as AmqpConnectionError

from partanum import topology
from partanum.consumer import EventHandler


def handler() -> EventHandler:
    consumer = EventHandler.__new__(EventHandler)  # no container: only _settle is tried
    consumer.subscription = topology.AUDIT
    return consumer


@pytest.mark.parametrize("lost", [ConnectionResetError(104, "reset"), AmqpConnectionError()])
def test_an_ack_on_a_dropped_connection_is_left_to_the_redelivery(lost, caplog):
    def ack_message(message):
        raise lost

    message = SimpleNamespace(properties={"message_id": "m-1"})
    with caplog.at_level(logging.WARNING):
        handler()._settle(ack_message, message)

    assert "will come again" in caplog.text and "m-1" in caplog.text


def test_other_failures_of_an_ack_are_not_hidden():
    def ack_message(message):
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        handler()._settle(ack_message, SimpleNamespace(properties={}))
