"""Calling the services from a command run outside them (the demo loaders, the
operators' tools, the tests and benchmarks): nameko's standalone proxies, each call
with a request id of its own (partanum.rpc_requests); an RPC proxy that names who
acts; and a wait for a service that is still starting."""

import itertools
import sys
import time

from nameko.rpc import ServiceProxy
from nameko.standalone import rpc as standalone_rpc

from partanum.rpc import IdentifiedMethodProxy


class _ServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        return IdentifiedMethodProxy(
            self.worker_ctx, self.service_name, name, self.reply_listener, **self.options
        )


class _ClusterProxy(standalone_rpc.ClusterProxy):
    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = _ServiceProxy(self._worker_ctx, name, self._reply_listener)
        return self._proxies[name]


class ClusterRpcProxy(standalone_rpc.ClusterRpcProxy):
    """nameko's ClusterRpcProxy, each call with a request id of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._proxy = _ClusterProxy(self._worker_ctx, self._reply_listener)


class ServiceRpcProxy(standalone_rpc.ServiceRpcProxy):
    """nameko's ServiceRpcProxy, each call with a request id of its own."""

    def __init__(self, service_name, *args, **kwargs):
        super().__init__(service_name, *args, **kwargs)
        self._proxy = _ServiceProxy(self._worker_ctx, service_name, self._reply_listener)


class NotAnswering(Exception):
    pass


def cluster_proxy(config: dict, actor: str, timeout: float | None = None):
    """A ClusterRpcProxy whose calls name `actor` in the events they cause."""
    return ClusterRpcProxy(config, context_data={"actor": actor}, timeout=timeout)


def wait_for(config: dict, service: str, method: str, timeout: float) -> None:
    """Call `service.method()` until it answers, or raise NotAnswering."""
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        remaining = deadline - time.monotonic()
        try:
            with cluster_proxy(
                config, "startup", timeout=round(max(1.0, min(5.0, remaining)), 1)
            ) as rpc:
                getattr(getattr(rpc, service), method)()
                return
        except Exception as error:  # noqa: BLE001 -- broker down, service absent or slow: all mean "not yet"
            if time.monotonic() + 1 >= deadline:
                raise NotAnswering(f"{type(error).__name__}: {error}") from None
            if attempt == 0:
                print(f"waiting up to {timeout:g} s for the {service} service...", file=sys.stderr)
            time.sleep(1)
