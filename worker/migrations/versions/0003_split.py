"""Split plans: each plan decided for an order, and the fulfillment orders seen while planning"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_split"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "split_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=100), nullable=False),
        sa.Column("plan_hash", sa.String(length=64), nullable=True),
        sa.Column("plan", DOCUMENT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("apply_action_id", sa.Integer(), nullable=True),
        sa.Column("note_action_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "order_id", "sequence", name="uq_split_plans_sequence"),
    )
    op.create_index("ix_split_plans_order", "split_plans", ["shop", "order_id"], unique=False)
    op.create_table(
        "split_fulfillment_orders",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("fulfillment_order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "fulfillment_order_id"),
    )


def downgrade() -> None:
    op.drop_table("split_fulfillment_orders")
    op.drop_index("ix_split_plans_order", table_name="split_plans")
    op.drop_table("split_plans")
