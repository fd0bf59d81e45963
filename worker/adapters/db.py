"""The records database: engine creation, schema selection, migrations and a dialect-neutral upsert."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import ColumnElement, Engine, Table, create_engine, event, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


# A database that was read-only (a failover, a replica, a volume remounted) or full refuses writes on connections
# opened meanwhile, and keeps refusing on them after it recovers: PostgreSQL keeps a session's read-only default,
# SQLite a read-only open. Such an error is therefore treated like a dropped connection: the pool's connections
# are discarded and the job's retry writes on a fresh one, so workers recover without a restart.
_UNWRITABLE_SQLSTATES = frozenset({"25006", "53100", "53200"})  # read-only transaction, disk full, out of memory
_UNWRITABLE_SQLITE = ("attempt to write a readonly database", "database or disk is full")


def _discard_connections_after_unwritable(context: Any) -> None:
    error = context.original_exception
    sqlstate = getattr(error, "sqlstate", None) or getattr(getattr(error, "diag", None), "sqlstate", None)
    if sqlstate in _UNWRITABLE_SQLSTATES or any(text in str(error) for text in _UNWRITABLE_SQLITE):
        context.is_disconnect = True


def make_engine(url: str, schema: str | None = None) -> Engine:
    """SQLite gets WAL and a busy timeout so web and worker processes can share the file; PostgreSQL may be
    pinned to one schema (each test gets its own). Both recover from a spell of being unwritable (above)."""
    engine = _make_engine(url, schema)
    event.listen(engine, "handle_error", _discard_connections_after_unwritable)
    return engine


def _make_engine(url: str, schema: str | None) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=to_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # No ping per checkout (a round trip per transaction): a connection the server dropped fails its job, and RQ
    # retries the job on a fresh one, which is safe because every job is idempotent.
    engine = create_engine(url, pool_recycle=1800, json_serializer=to_json)
    if schema:

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.close()
            dbapi_connection.commit()

    return engine


def to_json(value: Any) -> str:
    """JSON columns are written by orjson (a 15 KB order in tens of microseconds), and by the standard library
    where orjson refuses a value (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to the newest migration; safe to run on every release."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The applied revision(s); areas branch off a shared base, so there may be several heads."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(sorted(heads)) or None


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT that knows ON CONFLICT, for the two databases we run on."""
    return insert_for(connection.dialect.name, table)


def insert_for(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def upsert(
    connection: Connection,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    keys: list[str],
    update: list[str] | None = None,
    unless_older: str | None = None,
) -> int:
    """Insert, or update the given columns on a key conflict. With `unless_older` (a column), a stored row is only
    updated when its value there is missing or not newer than the incoming row's: how stale events are kept from
    overwriting newer data. Returns rows written."""
    rows = list(rows)
    if not rows:
        return 0
    columns = tuple(update if update is not None else (c for c in rows[0] if c not in keys))
    statement = _upsert_statement(connection.dialect.name, table, tuple(keys), columns, unless_older)
    return len(connection.execute(statement, rows).all())


@functools.cache
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...], unless_older: str | None
) -> Any:
    """Built once per shape, rows going as parameters: building ON CONFLICT's `excluded` columns costs more than
    the database takes to run the statement."""
    insert = insert_for(dialect, table)
    if columns:
        guard = None
        if unless_older:
            stored = table.c[unless_older]
            guard = or_(stored.is_(None), stored <= insert.excluded[unless_older])
        statement = insert.on_conflict_do_update(
            index_elements=keys, set_={name: insert.excluded[name] for name in columns}, where=guard
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=keys)
    return statement.returning(table.c[keys[0]])


Span = tuple[datetime | None, datetime | None]


def within(column: Any, span: Span) -> list[ColumnElement[bool]]:
    """Conditions keeping the rows whose `column` falls in the span: from inclusive, until exclusive, either open."""
    since, until = span
    return [*([column >= since] if since is not None else []), *([column < until] if until is not None else [])]


def order_rows(engine: Engine, table: Table, shop: str, order_id: int, first: Any) -> list[dict[str, Any]]:
    """One order's rows of an area's table, ordered by `first`, then id."""
    query = select(table).where(table.c.shop == shop, table.c.order_id == order_id).order_by(first, table.c.id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
