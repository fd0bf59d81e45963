"""Late cases closed by a person: reshipped, refunded, arrived or no action, with who closed them, when and why"""

import sqlalchemy as sa
from alembic import op

revision = "0004_late_closing"
down_revision = "0003_late"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("late_cases", schema=None) as batch_op:
        batch_op.drop_constraint("ck_late_cases_resolution", type_="check")
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            "ck_late_cases_resolution",
            "resolution IS NULL OR resolution IN ('reshipped', 'refunded', 'arrived', 'no_action')",
        )


def downgrade() -> None:
    with op.batch_alter_table("late_cases", schema=None) as batch_op:
        batch_op.drop_constraint("ck_late_cases_resolution", type_="check")
        batch_op.drop_column("close_reason")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")
        batch_op.create_check_constraint(
            "ck_late_cases_resolution", "resolution IS NULL OR resolution IN ('reship', 'refund')"
        )
