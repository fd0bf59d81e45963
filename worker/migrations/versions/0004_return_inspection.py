"""Returns: the inspection stage (dispositions and a person's findings), its outcome, the refund proposal and the
outbox action that performs it"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_return_inspection"
down_revision = "0003_returns"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("inspection", DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("outcome", DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("proposal", DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("refund_action_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        for column in ("refund_action_id", "proposal", "outcome", "inspection", "stage"):
            batch_op.drop_column(column)
