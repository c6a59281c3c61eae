"""Calling the services from a command run outside them (the demo loaders, the
operators' tools): an RPC proxy that names who acts, and a wait for a service
that is still starting."""

import itertools
import sys
import time

from nameko.standalone.rpc import ClusterRpcProxy


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
