"""Returns: return records with their decisions, refund records, cached product facts"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_returns"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("shopify_status", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("evaluation", DOCUMENT, nullable=True),
        sa.Column("request", DOCUMENT, nullable=True),
        sa.Column("policy_name", sa.String(length=100), nullable=True),
        sa.Column("policy_version", sa.String(length=32), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("overrides", DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "return_id", name="uq_returns_shop_return"),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_shop"), ["shop"], unique=False)
        batch_op.create_index(batch_op.f("ix_returns_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_returns_status"), ["status"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=True),
        sa.Column("lines", DOCUMENT, nullable=False),
        sa.Column("shipping_refunded", sa.String(length=32), nullable=False),
        sa.Column("transactions", DOCUMENT, nullable=False),
        sa.Column("total", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "id"),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)

    op.create_table(
        "product_facts",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("product_type", sa.String(length=255), nullable=False),
        sa.Column("tags", DOCUMENT, nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "product_id"),
    )


def downgrade() -> None:
    op.drop_table("product_facts")
    op.drop_table("refunds")
    op.drop_table("returns")
