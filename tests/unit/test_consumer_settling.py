"""A message settled on a connection the broker dropped meanwhile: nameko lets the
socket's error through, which killed the whole container during a broker outage."""

import logging
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionError as AmqpConnectionError
from eventlet.event import Event

from partanum import topology
from partanum.consumer import BatchQueueConsumer, EventHandler
from partanum.rpc import _ReplyListener


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


class Channel:
    """Records the acks sent on it."""

    connection = True

    def __init__(self):
        self.acks: list[tuple[int, bool]] = []


class Message:
    def __init__(self, channel: Channel, delivery_tag: int):
        self.channel, self.delivery_tag = channel, delivery_tag
        self.properties: dict = {}

    def ack(self, multiple=False):
        self.channel.acks.append((self.delivery_tag, multiple))


def received(channel: Channel, tags) -> tuple[BatchQueueConsumer, list[Message]]:
    consumer = BatchQueueConsumer.__new__(BatchQueueConsumer)  # no container: settling only
    consumer.unsettled = set()
    messages = [Message(channel, tag) for tag in tags]
    for message in messages:
        consumer.unsettled.add((id(channel), message.delivery_tag))
    return consumer, messages


def test_a_batch_received_before_anything_still_waiting_is_acked_in_one_frame():
    channel = Channel()
    consumer, messages = received(channel, range(1, 8))

    consumer.ack_messages(messages[:5])  # 6 and 7 came after the batch

    assert channel.acks == [(5, True)]
    assert consumer.unsettled == {(id(channel), 6), (id(channel), 7)}


def test_a_batch_after_a_message_still_being_handled_acks_its_own_messages_only():
    channel = Channel()
    consumer, messages = received(channel, range(1, 6))

    consumer.ack_messages(messages[2:])  # 1 and 2 are still retried, each alone

    assert channel.acks == [(3, False), (4, False), (5, False)]
    consumer.ack_messages(messages[:2])
    assert channel.acks[3:] == [(2, True)] and not consumer.unsettled


@pytest.mark.parametrize("lost", [ConnectionResetError(104, "reset"), AmqpConnectionError()])
def test_an_answer_acked_as_the_broker_goes_away_still_reaches_its_caller(lost):
    # The gateway's container died of this during a broker outage (tests/e2e/test_broker_outage.py).
    def ack_message(message):
        raise lost

    listener = _ReplyListener.__new__(_ReplyListener)  # no container: the answer's hand-over only
    listener.queue_consumer = SimpleNamespace(ack_message=ack_message)
    waiting = Event()
    listener._reply_events = {"call-1": waiting}

    listener.handle_message({"result": 7}, SimpleNamespace(properties={"correlation_id": "call-1"}))

    assert waiting.ready() and waiting.wait() == {"result": 7}
