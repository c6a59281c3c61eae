"""RPC to the services, with a deadline.

nameko's RpcProxy waits for ever when the service's queue exists but nothing
consumes it (the service stopped after it once ran). A person at a desk must get
an answer: past `RPC_TIMEOUT` seconds the call raises RpcTimeout (a 503 with
Retry-After), and the request message expires in its queue at the same time, so
a service that comes back later does not act on a request its caller gave up on.
"""
import eventlet
from nameko.exceptions import RpcTimeout
from nameko.rpc import MethodProxy, RpcProxy, ServiceProxy

DEFAULT_TIMEOUT = 15.0


class TimedRpcProxy(RpcProxy):
    def get_dependency(self, worker_ctx):
        timeout = float(self.container.config.get("RPC_TIMEOUT", DEFAULT_TIMEOUT))
        return _TimedServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                  timeout, **self.options)


class _TimedServiceProxy(ServiceProxy):
    def __init__(self, worker_ctx, service_name, reply_listener, timeout, **options):
        super().__init__(worker_ctx, service_name, reply_listener, **options)
        self.timeout = timeout

    def __getattr__(self, name):
        return _TimedMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener,
                                 self.timeout, **self.options)


class _TimedMethodProxy(MethodProxy):
    def __init__(self, worker_ctx, service_name, method_name, reply_listener, timeout,
                 **options):
        super().__init__(worker_ctx, service_name, method_name, reply_listener,
                         expiration=timeout, **options)
        self.timeout = timeout

    def __call__(self, *args, **kwargs):
        reply = self._call(*args, **kwargs)
        with eventlet.Timeout(self.timeout,
                              RpcTimeout(f"{self.service_name}.{self.method_name}")):
            return reply.result()
