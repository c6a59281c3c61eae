"""RPC between services within the caller's deadline (partanum.deadline).

    class Service:
        inventory = RpcProxy("inventory")

A worker serving a call that has a deadline passes on what is left of it with each
call it makes (the request expires in the queue, and the callee's budget, as
partanum.deadline splits it) and waits for the answer no longer than that: then
DeadlinePassed. A worker without a deadline (a timer, an event handler) calls as
nameko does, without limit, unless the proxy sets a `timeout()`: the gateway's
TimedRpcProxy gives each call it makes RPC_TIMEOUT seconds.

Every call carries a request id of its own, and a service answers a request it has
carried out before with the answer it recorded (partanum.rpc_requests).
"""

import inspect
import logging
from functools import cached_property, partial

import eventlet
import kombu.serialization
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import IncorrectSignature

from partanum import deadline, rpc_requests, topology
from partanum.errors import DeadlinePassed

log = logging.getLogger(__name__)


class _RpcConsumer(nameko_rpc.RpcConsumer):
    def setup(self):
        # nameko's queue, as a quorum queue (partanum.topology), replicated on a cluster.
        if self.queue is None:
            service_name = self.container.service_name
            self.queue = Queue(
                nameko_rpc.RPC_QUEUE_TEMPLATE.format(service_name),
                exchange=nameko_rpc.get_rpc_exchange(self.container.config),
                routing_key=f"{service_name}.*",
                durable=True,
                queue_arguments=topology.rpc_queue_arguments(),
            )
            self.queue_consumer.register_provider(self)
            self._registered = True

    def handle_result(self, message, result, exc_info):
        try:
            return self._answer(message, result, exc_info)
        except (OSError, AmqpConnectionError, OperationalError) as lost:
            self._not_sent(message, lost)
            return result, exc_info

    def _answer(self, message, result, exc_info):
        """nameko's RpcConsumer.handle_result, with an answer sent unconfirmed."""
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY],
            nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def send_recorded(self, message, answer: dict) -> None:
        """Send `answer` ({"result", "error"}) as first sent, and acknowledge the request."""
        config = self.container.config
        try:
            Publisher(
                config[AMQP_URI_CONFIG_KEY],
                use_confirms=False,  # as every answer: see _Responder
                ssl=config.get(AMQP_SSL_CONFIG_KEY),
                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            ).publish(
                answer,
                # encoded as the request was, as nameko's Responder does
                serializer=kombu.serialization.registry.type_to_name[
                    message.properties["content_type"]
                ],
                exchange=nameko_rpc.get_rpc_exchange(config),
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties.get("correlation_id"),
            )
            self.queue_consumer.ack_message(message)
        except (OSError, AmqpConnectionError, OperationalError) as lost:
            self._not_sent(message, lost)

    def _not_sent(self, message, lost: Exception) -> None:
        # nameko lets this through, and the whole service stops.
        log.warning(
            "the answer to %s could not be sent, the broker is away (%s): its caller "
            "has given up by now; the request, not acknowledged, expires in its queue "
            "or is answered again from its record",
            message.delivery_info.get("routing_key"),
            lost,
        )


class _Responder(nameko_rpc.Responder):
    # An answer goes without a publisher confirm: its caller is the one that knows
    # whether it came, and gives up at its deadline when it did not; waiting for the
    # broker's confirm cost every call a round trip and CPU (bench/desk_pages.py).
    publisher_cls = partial(Publisher, use_confirms=False)


class Rpc(nameko_rpc.Rpc):
    """nameko's RPC entrypoint, surviving a broker that went away while a call ran.
    Every RPC method of a service is declared with it (`@rpc`), as one consumer
    serves a service's queue (tests/unit/test_import_boundaries.py checks it)."""

    rpc_consumer = _RpcConsumer()
    records_answers = True  # partanum.rpc_requests: this entrypoint settles its requests

    def __init__(self, expected_exceptions=(), **kwargs):
        if not isinstance(expected_exceptions, tuple):
            expected_exceptions = (expected_exceptions,)
        # Answered from its record: nothing failed, one INFO line (partanum.run) says so.
        expected_exceptions += (rpc_requests.AlreadyCarriedOut,)
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    def check_signature(self, args, kwargs):
        # nameko's check, against the method's signature read once: inspect.getcallargs,
        # which nameko calls, reads it anew for every call (25 us of each).
        try:
            self._signature.bind(None, *args, **kwargs)  # None: the unbound `self`
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    @cached_property
    def _signature(self) -> inspect.Signature:
        return inspect.signature(getattr(self.container.service_cls, self.method_name))

    def handle_result(self, message, worker_ctx, result, exc_info):
        # The change commits with its answer before the answer leaves.
        recorded = rpc_requests.settle(worker_ctx, result, exc_info)
        if recorded is None:
            return self.rpc_consumer.handle_result(message, result, exc_info)
        self.rpc_consumer.send_recorded(message, recorded)
        return recorded["result"], exc_info


rpc = Rpc.decorator


class IdentifiedMethodProxy(nameko_rpc.MethodProxy):
    """nameko's method proxy, each call with a request id of its own (in place of the
    calling worker's, which nameko would pass on with the rest of its context data)."""

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        headers[self._get_header_name(rpc_requests.CONTEXT_KEY)] = rpc_requests.id_for_call(
            worker_ctx, f"{self.service_name}.{self.method_name}"
        )
        return headers


class _ReplyListener(nameko_rpc.ReplyListener):
    """nameko's reply queue (classic, expiring when unused), not durable: on a cluster
    a durable classic queue whose node died cannot be declared again until that node
    is back, and the answers waiting in it are of no use to anyone by then."""

    def handle_message(self, body, message):
        """nameko's, with an answer that arrived handed to its caller even when the
        broker drops the connection under its ack (nameko lets that error through,
        and the whole service stops): the reply queue goes with the connection."""
        try:
            self.queue_consumer.ack_message(message)
        except (OSError, AmqpConnectionError, OperationalError) as lost:
            log.info("an answer arrived as the broker went away, not acknowledged: %s", lost)
        waiting = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if waiting is not None:
            waiting.send(body)

    def setup(self):
        super().setup()
        self.queue = Queue(
            self.queue.name,
            exchange=self.queue.exchange,
            routing_key=self.queue.routing_key,
            durable=False,
            queue_arguments=self.queue.queue_arguments,
        )


class RpcProxy(nameko_rpc.RpcProxy):
    rpc_reply_listener = _ReplyListener()

    def timeout(self) -> float | None:
        """Seconds each call waits when the worker has no deadline; None: no limit."""
        return None

    def get_dependency(self, worker_ctx):
        return _ServiceProxy(
            worker_ctx,
            self.target_service,
            self.rpc_reply_listener,
            deadline.of_worker(worker_ctx),
            self.timeout(),
            **self.options,
        )


class _ServiceProxy(nameko_rpc.ServiceProxy):
    def __init__(
        self, worker_ctx, service_name, reply_listener, worker_deadline, timeout, **options
    ):
        super().__init__(worker_ctx, service_name, reply_listener, **options)
        self.worker_deadline, self.timeout = worker_deadline, timeout

    def __getattr__(self, name):
        return _MethodProxy(
            self.worker_ctx,
            self.service_name,
            name,
            self.reply_listener,
            self.worker_deadline,
            self.timeout,
            **self.options,
        )


class _TimedReply:
    """The answer to a call sent ahead (call_async), awaited no longer than the call's
    deadline, as a call awaited at once is."""

    def __init__(self, reply, call_deadline: deadline.Deadline, too_late):
        self.reply, self.call_deadline, self.too_late = reply, call_deadline, too_late

    def result(self):
        with eventlet.Timeout(max(0.0, self.call_deadline.left()), self.too_late()):
            return self.reply.result()


class _MethodProxy(IdentifiedMethodProxy):
    def __init__(
        self,
        worker_ctx,
        service_name,
        method_name,
        reply_listener,
        worker_deadline,
        timeout,
        **options,
    ):
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)
        self.worker_deadline, self.timeout = worker_deadline, timeout
        self.call_deadline = None
        self.budget = None

    def __call__(self, *args, **kwargs):
        self.prepare()
        if self.call_deadline is None:
            return self._send(*args, **kwargs).result()
        # Sending the request too: with the broker away, nameko's publisher retries
        # for about a minute, long after the caller was to be answered.
        with eventlet.Timeout(max(0.0, self.call_deadline.left()), self._too_late()):
            return self._send(*args, **kwargs).result()

    def _send(self, *args, **kwargs):
        return super()._call(*args, **kwargs)

    def _call(self, *args, **kwargs):  # call_async
        self.prepare()
        reply = self._send(*args, **kwargs)
        if self.call_deadline is None:
            return reply
        return _TimedReply(reply, self.call_deadline, self._too_late)

    def prepare(self) -> None:
        """Fix this call's deadline, its expiry in the queue and the callee's budget."""
        if self.worker_deadline is not None:
            self.call_deadline = self.worker_deadline
        elif self.timeout is not None:
            self.call_deadline = deadline.Deadline.after(self.timeout)
        if self.call_deadline is None:
            return
        left = self.call_deadline.left()
        if left <= 0:
            raise self._too_late()
        # nameko's publisher sends every message with the expiration it was made with;
        # this proxy's publisher sends this one call.
        self.publisher.expiration, self.budget = deadline.split(left)

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        # The budget this worker was given (in its context data) is not the callee's.
        name = self._get_header_name(deadline.CONTEXT_KEY)
        headers.pop(name, None)
        if self.budget is not None:
            headers[name] = self.budget
        return headers

    def _too_late(self) -> DeadlinePassed:
        return DeadlinePassed(f"{self.service_name}.{self.method_name}")
