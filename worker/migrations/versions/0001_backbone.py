"""Backbone: event log, orders, line items, fulfillments, data exports"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("data_request_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "content",
            DOCUMENT,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "customer_id", "data_request_id", name="uq_data_exports_request"),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_exports_shop"), ["shop"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("webhook_id", sa.String(length=255), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("triggered_at", sa.DateTime(), nullable=True),
        sa.Column("api_version", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "payload",
            DOCUMENT,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop", "topic", "event_id", name="uq_events_delivery"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_shop"), ["shop"], unique=False)

    op.create_table(
        "fulfillments",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("shipment_status", sa.String(length=40), nullable=True),
        sa.Column("shipment_status_at", sa.DateTime(), nullable=True),
        sa.Column("tracking_company", sa.String(length=255), nullable=True),
        sa.Column(
            "tracking_numbers",
            DOCUMENT,
            nullable=True,
        ),
        sa.Column(
            "tracking_urls",
            DOCUMENT,
            nullable=True,
        ),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "line_items",
            DOCUMENT,
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("shop", "id"),
    )
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fulfillments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "line_items",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("variant_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("current_quantity", sa.Integer(), nullable=True),
        sa.Column("price", sa.String(length=32), nullable=True),
        sa.Column("requires_shipping", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("shop", "id"),
    )
    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_items_order_id"), ["order_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total_price", sa.String(length=32), nullable=True),
        sa.Column("financial_status", sa.String(length=40), nullable=True),
        sa.Column("fulfillment_status", sa.String(length=40), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column(
            "payload",
            DOCUMENT,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("shop", "id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_items_order_id"))

    op.drop_table("line_items")
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillments_order_id"))

    op.drop_table("fulfillments")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_shop"))
        batch_op.drop_index(batch_op.f("ix_events_order_id"))

    op.drop_table("events")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_exports_shop"))

    op.drop_table("data_exports")
