"""Event log retention: a processed event's payload may be pruned (NULL) while its record stays"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_event_retention"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.alter_column("payload", existing_type=DOCUMENT, nullable=True)
    held = sa.text("payload IS NOT NULL")
    op.create_index("ix_events_payload_held", "events", ["processed_at"], postgresql_where=held, sqlite_where=held)


def downgrade() -> None:
    op.drop_index("ix_events_payload_held", table_name="events")
    op.execute("UPDATE events SET payload = '{}' WHERE payload IS NULL")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("payload", existing_type=DOCUMENT, nullable=False)
