"""residents' phones also in E.164, indexed, so that a lookup by phone reads an index

Revision ID: 0006_resident_phone_e164
Revises: 0005_resident_detail_hashes

Phones stay as typed at the desk (what staff and residents see); `phone_e164` holds
the same number normalised, filled here for the residents already registered. A
number that cannot be a phone stays without one: it finds nobody, as before.
"""

import sqlalchemy as sa
from alembic import op

from partanum import phones

revision = "0006_resident_phone_e164"
down_revision = "0005_resident_detail_hashes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (SQLite would copy a table that loans and mandates point at).
    op.add_column("residents", sa.Column("phone_e164", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_residents_phone_e164"), "residents", ["phone_e164"], unique=False)

    residents = sa.table(
        "residents",
        sa.column("id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("phone_e164", sa.String),
    )
    connection = op.get_bind()
    filled = [
        {"resident_id": resident_id, "e164": phones.normalised(phone)}
        for resident_id, phone in connection.execute(
            sa.select(residents.c.id, residents.c.phone).where(residents.c.phone.is_not(None))
        )
    ]
    filled = [row for row in filled if row["e164"]]
    if filled:
        connection.execute(
            residents.update()
            .where(residents.c.id == sa.bindparam("resident_id"))
            .values(phone_e164=sa.bindparam("e164")),
            filled,
        )


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch_op:  # SQLite drops a column by copying
        batch_op.drop_index(batch_op.f("ix_residents_phone_e164"))
        batch_op.drop_column("phone_e164")
