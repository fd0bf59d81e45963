"""Privacy: tombstones of redacted shops, customers and their orders, and the audit of destructive requests"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_redactions"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "redacted_shops",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("redacted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop"),
    )
    op.create_table(
        "redacted_customers",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("redacted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "customer_id"),
    )
    op.create_table(
        "redacted_orders",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "order_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.Column("counts", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_shop", "audit_log", ["shop"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_shop", table_name="audit_log")
    for table in ("audit_log", "redacted_orders", "redacted_customers", "redacted_shops"):
        op.drop_table(table)
