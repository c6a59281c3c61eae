"""The notifications' own dependencies: its channels, the recovery of what a
previous process claimed but may not have sent, and whose turn it is to send
(see sending.py)."""

import logging
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from partanum.db import make_engine
from partanum.dependencies import SYSTEM_ACTOR, UnitOfWork
from services.notifications import sending
from services.notifications.channels import channels_from_config

log = logging.getLogger(__name__)


class Channels(DependencyProvider):
    """{"email": …, "sms": …} from the config."""

    def setup(self):
        config = self.container.config
        self.channels = channels_from_config(config)
        # In setup, which every extension finishes before any of them starts: no
        # handler or timer can claim a message while this puts the claimed ones back.
        engine = make_engine(config["DATABASE_URLS"][self.container.service_name], pool_size=1)
        try:
            db = UnitOfWork(
                sessionmaker(engine, expire_on_commit=False),
                self.container.service_name,
                SYSTEM_ACTOR,
                lambda: None,
            )
            recovered = sending.recover(db, datetime.now(UTC))
            if recovered:
                log.warning(
                    "%s messages claimed by a previous process will be sent again", recovered
                )
        finally:
            engine.dispose()

    def stop(self):
        self.channels["email"].close_idle()

    def get_dependency(self, worker_ctx):
        return self.channels


class SendingTurn(DependencyProvider):
    """The process's one `sending.Turn`, shared by its handlers and its timer."""

    def setup(self):
        self.turn = sending.Turn()

    def get_dependency(self, worker_ctx):
        return self.turn
