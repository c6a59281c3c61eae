"""the chain covers a digest of each payload, so that a payload can be erased

Revision ID: 0002_audit_payload_digests
Revises: 0001

Until now each entry's hash was sha256(prev_hash + body): erasing a body broke
the chain. Now it is sha256(prev_hash + sha256(body)). This migration checks the
whole chain by the old rule first (it refuses to re-chain a log that was
tampered with: that would hide it), then computes every digest and hash anew and
logs the old and the new head, to be kept with the old head wherever it was kept.
"""

import hashlib
import logging

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_payload_digests"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
log = logging.getLogger("alembic.runtime.migration")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    # Added in place (SQLite would copy a table that audit_refs points at to change
    # a column): NOT NULL with a default, every row filled in below.
    op.add_column(
        "audit_entries",
        sa.Column("body_digest", sa.String(length=64), nullable=False, server_default=""),
    )

    connection = op.get_bind()
    entries = sa.table(
        "audit_entries",
        sa.column("seq", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("body_digest", sa.String),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    old_prev = new_prev = GENESIS_HASH
    expected_seq, rows = 1, 0
    for seq, body, prev_hash, old_hash in connection.execute(
        sa.select(entries.c.seq, entries.c.body, entries.c.prev_hash, entries.c.hash).order_by(
            entries.c.seq
        )
    ):
        if seq != expected_seq or prev_hash != old_prev or old_hash != _sha256(prev_hash + body):
            raise RuntimeError(
                f"the audit log is broken at entry {expected_seq} (run "
                "python -m services.audit.verify before this migration): not re-chained"
            )
        digest = _sha256(body)
        new_hash = _sha256(new_prev + digest)
        connection.execute(
            entries.update()
            .where(entries.c.seq == seq)
            .values(body_digest=digest, prev_hash=new_prev, hash=new_hash)
        )
        old_prev, new_prev, expected_seq, rows = old_hash, new_hash, seq + 1, rows + 1
    if rows:
        log.warning(
            "audit log re-chained over payload digests: %d entries, head %s is now %s",
            rows,
            old_prev,
            new_prev,
        )


def downgrade() -> None:
    raise NotImplementedError("the old chain covered whole bodies: erased ones cannot be put back")
