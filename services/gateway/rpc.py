"""RPC to the services, with a deadline.

nameko's RpcProxy waits for ever when the service's queue exists but nothing
consumes it (the service stopped after it once ran). A person at a desk must get
an answer: past `RPC_TIMEOUT` seconds the call raises DeadlinePassed, an RpcTimeout
(a 503 with Retry-After). The time left travels with the call (partanum.deadline):
the request expires in its queue, and a service that takes it up refuses to commit
once its caller has given up, so nothing is done that the caller was told failed.
"""

from partanum.rpc import RpcProxy
from services.gateway.settings import Settings


class TimedRpcProxy(RpcProxy):
    def setup(self):
        super().setup()
        self.rpc_timeout = Settings.from_config(self.container.config).rpc_timeout

    def timeout(self) -> float:
        return self.rpc_timeout
