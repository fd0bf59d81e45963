"""The records database: engine creation, schema selection, migrations and a dialect-neutral upsert."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

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
    event.listen(engine, "before_cursor_execute", _send_deferred)
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


# Taken in a job's transaction on PostgreSQL, released by its commit or rollback (or the session's end).
_LOCK = select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)))
_LOCK_SHARED = select(func.pg_advisory_xact_lock_shared(bindparam("key", type_=BigInteger)))
# In a job connection's `info`: the writes whose answers nobody reads, waiting to go with its next statement, after
# the transaction's BEGIN.
_DEFERRED = "shopworker.deferred"
_BEGIN, _COMMIT = text("BEGIN"), text("COMMIT")


def lock_key(*names: object) -> int:
    """The advisory lock's key for what the names say (a shop; a shop's order): 64 bits of their hash."""
    digest = hashlib.blake2b("\n".join(map(str, names)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Database:
    """The records engine, and while a job runs, the job's one transaction.

    Stores ask for a transaction (`begin`) or a connection to read on (`connect`). Outside a job each is its own,
    and `connect` commits every statement by itself (a read, or a write of one statement, in one round trip);
    inside `job()` both hand out the job's connection, so an event's log row, its records and its outcome commit
    together in one transaction, and what the job reads includes what it has written. A worker process `hold()`s
    one connection for all its jobs rather than checking one out of the pool per job. State is per thread: the
    operator pages share the process's stores across request threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._local = threading.local()

    def begin(self) -> AbstractContextManager[Connection]:
        job = getattr(self._local, "job", None)
        return nullcontext(job) if job is not None else self.engine.begin()

    def connect(self) -> AbstractContextManager[Connection]:
        job = getattr(self._local, "job", None)
        return nullcontext(job) if job is not None else self._autocommit.connect()

    @property
    def atomic_jobs(self) -> bool:
        """Whether a failed job's writes are all rolled back (PostgreSQL), or each store's kept (SQLite, below)."""
        return self.engine.dialect.name != "sqlite"

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Jobs run in this block share one connection, checked out again only after a job failed."""
        self._local.holding = True
        try:
            yield
        finally:
            self._local.holding = False
            self._release()

    @contextmanager
    def job(self) -> Iterator[None]:
        """Everything written in the block commits together when it ends, or nothing if it raises; what
        `after_commit` was handed meanwhile runs once committed. A failed job's connection goes back to the pool
        (which discards it if the server dropped it or refused writes), and the next job takes another.

        On SQLite each store still commits its own writes: SQLite lets one connection write at a time, and a
        job's renewed Shopify token is written on a connection of its own (it must outlive a failed job)."""
        if not self.atomic_jobs or getattr(self._local, "job", None) is not None:
            yield  # on SQLite, or a job's work done inside another job (which it joins)
            return
        held = getattr(self._local, "holding", False)
        connection = getattr(self._local, "held", None) or self._job_connection()
        if held:
            self._local.held = connection
        self._local.after_commit, self._local.locked = [], set()
        connection.info[_DEFERRED] = [(_BEGIN, {})]
        try:
            with connection.begin():
                self._local.job = connection
                yield
                _commit_with_deferred(connection)
        except BaseException:
            connection.info.pop(_DEFERRED, None)
            self._release()
            if not held:
                connection.close()
            raise
        finally:
            self._local.job = None
        if not held:
            connection.close()
        for callback in self._local.after_commit:
            callback()

    def _job_connection(self) -> Connection:
        """A connection on which a job begins its transaction itself: psycopg sends a BEGIN of its own and waits for
        its answer before the first statement, a round trip per job, unless the driver is in autocommit; the job's
        BEGIN then waits for its first statement and goes with it (`later`). The pool resets the mode on return."""
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _release(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            held.close()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the job's transaction has committed (at once outside a job): work queued for other
        workers must not look for rows they cannot see yet."""
        if getattr(self._local, "job", None) is None:
            callback()
        else:
            self._local.after_commit.append(callback)

    def lock_order(self, shop: str, order_id: int) -> None:
        """Hold the order until the job's transaction ends: another worker's job for the same order waits here
        until this one has committed, so two jobs never interleave their writes to one order (PostgreSQL; a job
        on SQLite has no transaction of its own to hold it in)."""
        self._lock(_LOCK, lock_key(shop, order_id))

    def hold_shop(self, shop: str, alone: bool = False) -> None:
        """Hold the shop until the job's transaction ends: every event's job shares it, a privacy request holds it
        `alone` (at once, before it does anything else). A redaction thus waits for the shop's jobs being written to
        commit, and a job that starts while a redaction runs waits for it, then reads its tombstone: no write of a
        job lands after a redaction (PostgreSQL; on SQLite, a job's writes are not one transaction)."""
        self._lock(_LOCK if alone else _LOCK_SHARED, lock_key(shop), at_once=alone)

    @contextmanager
    def shop_job(self, shop: str) -> Iterator[None]:
        """Work on a shop's records that no event brought (a scheduled late check, a page of the late sweep) as a job
        of its own, or as part of the event's job, that holds the shop: a redaction then waits for it to commit, or it
        waits for the redaction and finds nothing left to work on."""
        with self.job():
            self.hold_shop(shop)
            yield

    def _lock(self, statement: Any, key: int, at_once: bool = False) -> None:
        job = getattr(self._local, "job", None)
        if job is None or key in self._local.locked:
            return
        self._local.locked.add(key)
        if at_once:
            run(job, statement, {"key": key})
        else:
            self.later(job, statement, {"key": key})

    def later(
        self, connection: Connection, statement: Any, parameters: Mapping[str, Any] | list[Mapping[str, Any]]
    ) -> None:
        """A write, or a lock, whose answer nobody reads: on a job's connection (PostgreSQL) it goes with the job's
        next statement, in the same round trip (psycopg's pipeline mode), or with its COMMIT, and its error, if any,
        is raised there; on any other connection it runs at once."""
        if connection is not getattr(self._local, "job", None):
            run(connection, statement, parameters)
            return
        connection.info.setdefault(_DEFERRED, []).append((statement, parameters))


def run(connection: Connection, statement: Any, parameters: Mapping[str, Any] | list[Mapping[str, Any]]) -> Rows:
    """Execute a statement built once (a module's constant, or a cached builder's) on the driver's cursor, with one
    row of parameters or, for a list, many, after the writes a job left for later (Database.later), all in one round
    trip. SQLAlchemy's work per execution (an execution context and a result, about 0.1 ms) costs more than the
    database's for the statements every event runs; here the statement is compiled once per shape and its
    parameters converted by their columns' types, as SQLAlchemy would. Its rows are read when asked for."""
    deferred = connection.info.pop(_DEFERRED, None)
    if not deferred:
        return _execute(connection, statement, parameters)
    return _in_one_round_trip(connection, [*deferred, (statement, parameters)])[-1]


def _execute(connection: Connection, statement: Any, parameters: Mapping[str, Any] | list[Mapping[str, Any]]) -> Rows:
    many = isinstance(parameters, list)
    first = parameters[0] if many else parameters
    compiled = _compiled(statement, connection.dialect, tuple(first))
    cursor = connection.connection.driver_connection.cursor()
    with _driver_errors(connection, compiled.sql):
        if many:
            cursor.executemany(compiled.sql, [compiled.parameters(row) for row in parameters])
        else:
            cursor.execute(compiled.sql, compiled.parameters(first))
    return Rows(cursor, compiled.results, functools.partial(_driver_errors, connection, compiled.sql))


def _send_deferred(connection: Connection, *_statement: Any) -> None:
    """Before a statement SQLAlchemy executes on a job's connection: the writes left for later go first."""
    deferred = connection.info.pop(_DEFERRED, None)
    if deferred:
        _in_one_round_trip(connection, deferred)


def _commit_with_deferred(connection: Connection) -> None:
    """The writes left for later and the COMMIT, in one round trip (SQLAlchemy's own commit then has nothing left
    to do but its bookkeeping)."""
    deferred = connection.info.pop(_DEFERRED, None)
    if deferred and deferred[-1][0] is not _BEGIN:  # a job that sent nothing has no transaction to commit
        _in_one_round_trip(connection, [*deferred, (_COMMIT, {})])


def _in_one_round_trip(connection: Connection, statements: list[tuple[Any, Any]]) -> list[Rows]:
    """The statements sent together in psycopg's pipeline mode; their rows. A COMMIT goes as a statement: the
    driver's commit() would wait for an answer of its own."""
    with _driver_errors(connection), connection.connection.driver_connection.pipeline():
        return [_execute(connection, statement, parameters) for statement, parameters in statements]


@contextmanager
def _driver_errors(connection: Connection, sql: str | None = None) -> Iterator[None]:
    """A driver's error raised as SQLAlchemy raises it (DataError, IntegrityError...), and one that leaves the
    database unwritable discarding the pool's connections, as make_engine's handler does for SQLAlchemy's."""
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as error:
        sqlstate = getattr(error, "sqlstate", None)
        broken = getattr(connection.connection.driver_connection, "broken", False)
        if sqlstate in _UNWRITABLE_SQLSTATES or broken or any(text in str(error) for text in _UNWRITABLE_SQLITE):
            connection.invalidate()
            connection.engine.dispose()
        raise DBAPIError.instance(sql, None, error, dbapi_error) from error


class Rows:
    """What a statement `run` returned, read when asked for (in a pipeline, results come once it has ended)."""

    def __init__(
        self,
        cursor: Any,
        converters: tuple[Callable[[Any], Any] | None, ...],
        errors: Callable[[], AbstractContextManager[None]],
    ) -> None:
        self._cursor, self._converters, self._errors = cursor, converters, errors

    @property
    def rowcount(self) -> int:
        """Rows written (an upsert's skipped rows are not), summed over many rows."""
        return int(self._cursor.rowcount)

    def all(self) -> list[tuple[Any, ...]]:
        with self._errors():
            rows = self._cursor.fetchall()
        converters = self._converters
        return [
            tuple(value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True))
            for row in rows
        ]


class _Compiled:
    """A statement compiled for one dialect and one set of parameter names, with the converters SQLAlchemy would
    apply to the parameters and to the columns returned."""

    def __init__(self, statement: Any, dialect: Any, names: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        self.sql = compiled.string
        self._positions = compiled.positiontup  # the parameters' order for a positional paramstyle (SQLite's)
        # Values the statement holds itself (the 1 of `attempts + 1`).
        self._held = {name: bind.effective_value for bind, name in compiled.bind_names.items() if name not in names}
        self._converters = [
            (name, convert)
            for bind, name in compiled.bind_names.items()
            if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        self.results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "exported_columns", ())  # none for a BEGIN or a COMMIT
        )

    def parameters(self, row: Mapping[str, Any]) -> Any:
        """The row's values, with those the statement holds itself, as the driver takes them."""
        values = row
        if self._held or self._converters:
            values = {**self._held, **row}
            for name, convert in self._converters:
                values[name] = convert(values[name])
        return values if self._positions is None else [values[name] for name in self._positions]


@functools.cache
def _compiled(statement: Any, dialect: Any, names: tuple[str, ...]) -> _Compiled:
    return _Compiled(statement, dialect, names)


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
    """Insert, or update the given columns on a key conflict (upsert_statement); several rows go by the driver's
    executemany, in one round trip. Returns rows written."""
    rows = list(rows)
    if not rows:
        return 0
    statement = upsert_statement(connection.dialect.name, table, rows[0], keys, update, unless_older)
    return run(connection, statement, rows if len(rows) > 1 else rows[0]).rowcount


def upsert_statement(
    dialect: str,
    table: Table,
    row: Mapping[str, Any],
    keys: list[str],
    update: list[str] | None = None,
    unless_older: str | None = None,
) -> Any:
    """An upsert of rows shaped like `row`: insert, or update the given columns (by default all but the keys) on a
    key conflict. With `unless_older` (a column), a stored row is only updated when its value there is missing or
    not newer than the incoming row's: how stale events are kept from overwriting newer data."""
    columns = tuple(update if update is not None else (c for c in row if c not in keys))
    return _upsert_statement(dialect, table, tuple(keys), columns, unless_older)


@functools.cache
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...], unless_older: str | None
) -> Any:
    """Built once per shape, rows going as parameters: building ON CONFLICT's `excluded` columns costs more than
    the database takes to run the statement."""
    insert = insert_for(dialect, table)
    if not columns:
        return insert.on_conflict_do_nothing(index_elements=keys)
    guard = None
    if unless_older:
        stored = table.c[unless_older]
        guard = or_(stored.is_(None), stored <= insert.excluded[unless_older])
    return insert.on_conflict_do_update(
        index_elements=keys, set_={name: insert.excluded[name] for name in columns}, where=guard
    )


Span = tuple[datetime | None, datetime | None]


def within(column: Any, span: Span) -> list[ColumnElement[bool]]:
    """Conditions keeping the rows whose `column` falls in the span: from inclusive, until exclusive, either open."""
    since, until = span
    return [*([column >= since] if since is not None else []), *([column < until] if until is not None else [])]


def order_rows(db: Database, table: Table, shop: str, order_id: int, first: Any) -> list[dict[str, Any]]:
    """One order's rows of an area's table, ordered by `first`, then id."""
    query = select(table).where(table.c.shop == shop, table.c.order_id == order_id).order_by(first, table.c.id)
    with db.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
