"""How PostgreSQL holds the webhooks kept whole (the event log's and the orders' payloads): as JSON text compressed
with lz4, which it writes in about half the time JSONB with pglz took, and an upgrade keeps what was logged before."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.conftest import POSTGRES_URL
from worker.adapters.db import make_engine, upgrade

ORDER = {"id": 820982911946154508, "note": "Livrer après 18 h", "total": "12.50", "lines": [{"id": 1, "qty": 2}]}
LZ4_OFFERED = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
COLUMNS = """
    SELECT attrelid::regclass::text, format_type(atttypid, atttypmod), attcompression FROM pg_attribute
    WHERE attname = 'payload' AND attrelid IN ('events'::regclass, 'orders'::regclass) ORDER BY 1
"""


def test_an_upgrade_keeps_what_was_logged_and_holds_payloads_as_lz4_json(pg_schema: str):
    engine = make_engine(POSTGRES_URL, pg_schema)
    upgrade(engine, "0003_event_retention")  # a deployment from before: JSONB, pglz
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (shop, topic, event_id, received_at, source, status, attempts, payload) "
                "VALUES ('a.myshopify.com', 'orders/create', 'e1', now(), 'webhook', 'processed', 1, CAST(:p AS jsonb))"
            ),
            {"p": json.dumps(ORDER)},
        )
    upgrade(engine)
    with engine.begin() as connection:
        logged = connection.execute(text("SELECT payload FROM events WHERE event_id = 'e1'")).scalar()
        columns = connection.execute(text(COLUMNS)).all()
        lz4 = connection.execute(text(LZ4_OFFERED)).scalar()
    engine.dispose()
    assert logged == ORDER
    compression = "l" if lz4 else ""
    assert columns == [("events", "json", compression), ("orders", "json", compression)]
