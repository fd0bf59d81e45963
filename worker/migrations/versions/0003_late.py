"""Late deliveries: flags past the first threshold, cases past the second or on a carrier failure"""

import sqlalchemy as sa
from alembic import op

revision = "0003_late"
down_revision = "0002"
branch_labels = None
depends_on = None


def _shipment_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("fulfillment_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
    ]


def _clock_columns() -> list[sa.Column]:
    return [
        sa.Column("day_kind", sa.String(length=20), nullable=False),
        sa.Column("calendar", sa.String(length=40), nullable=False),
        sa.Column("calendar_version", sa.String(length=60), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "late_flags",
        *_shipment_columns(),
        sa.Column("flagged_at", sa.DateTime(), nullable=False),
        sa.Column("elapsed_days", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        *_clock_columns(),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "fulfillment_id", name="uq_late_flags_shipment"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="ck_late_flags_status"),
    )
    op.create_table(
        "late_cases",
        *_shipment_columns(),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("elapsed_days", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        *_clock_columns(),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("arrived_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "fulfillment_id", name="uq_late_cases_shipment"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_late_cases_status"),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('reship', 'refund')", name="ck_late_cases_resolution"),
    )
    for table in ("late_flags", "late_cases"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_order_id"), ["order_id"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("late_cases")
    op.drop_table("late_flags")
