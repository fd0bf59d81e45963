"""Reconciliation checkpoints: where each shop's pass over Shopify's changes stands"""

import sqlalchemy as sa
from alembic import op

revision = "0003_reconcile"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_checkpoints",
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=40), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("seen_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop", "resource"),
    )


def downgrade() -> None:
    op.drop_table("reconcile_checkpoints")
