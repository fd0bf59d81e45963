"""Data exports: when the customer asked (Shopify's 30 days count from it) and how many orders each holds"""

import sqlalchemy as sa
from alembic import op

revision = "0003_data_exports"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_exports") as batch:
        batch.add_column(sa.Column("requested_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("order_count", sa.Integer(), nullable=False, server_default="0"))
    exports = sa.table(
        "data_exports",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime()),
        sa.column("requested_at", sa.DateTime()),
        sa.column("order_count", sa.Integer()),
        sa.column("content", sa.JSON()),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(exports.c.id, exports.c.content)).all():
        counted = len((row.content or {}).get("orders") or [])
        connection.execute(sa.update(exports).where(exports.c.id == row.id).values(order_count=counted))
    connection.execute(sa.update(exports).values(requested_at=exports.c.created_at))
    with op.batch_alter_table("data_exports") as batch:
        batch.alter_column("requested_at", existing_type=sa.DateTime(), nullable=False)
        batch.alter_column("order_count", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("data_exports") as batch:
        batch.drop_column("order_count")
        batch.drop_column("requested_at")
