"""A job's transaction on PostgreSQL: its writes commit together or not at all, the locks it takes hold until it
ends, and the connections it used go back to the pool as they came (its BEGIN is its own, sent with its first
statement, so the pool's other users must not inherit an autocommit connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, insert, select, text

from tests.conftest import POSTGRES_URL
from worker.adapters.db import Database, lock_key, make_engine, run

notes = Table("notes", MetaData(), Column("n", Integer, nullable=False))


class Failed(Exception):
    pass


@pytest.fixture
def engine(pg_schema: str) -> Iterator[Engine]:
    engine = make_engine(POSTGRES_URL, pg_schema)
    notes.create(engine)
    yield engine
    engine.dispose()


def written(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(notes.c.n)).scalars())


def held_elsewhere(engine: Engine, key: int) -> bool:
    """Whether another session cannot take the lock now."""
    with engine.connect() as other:
        return not other.execute(select(func.pg_try_advisory_xact_lock(key))).scalar()


@pytest.mark.parametrize("holding", [True, False], ids=["held connection", "pooled connection"])
def test_a_jobs_writes_commit_together_and_a_failed_job_leaves_none(engine: Engine, holding: bool):
    db = Database(engine)
    with db.hold() if holding else nullcontext():
        with pytest.raises(Failed), db.job(), db.begin() as connection:
            db.later(connection, insert(notes), {"n": 1})
            run(connection, insert(notes), {"n": 2})
            connection.execute(insert(notes).values(n=3))
            raise Failed
        assert written(engine) == []
        with db.job(), db.begin() as connection:
            db.later(connection, insert(notes), {"n": 4})
            run(connection, insert(notes), {"n": 5})
            db.later(connection, insert(notes), [{"n": 6}, {"n": 7}])
        assert written(engine) == [4, 5, 6, 7]


def test_a_lock_taken_in_a_job_holds_until_the_job_ends(engine: Engine):
    db = Database(engine)
    key = lock_key("a.myshopify.com", 1)
    with db.hold():
        with db.job(), db.connect() as connection:
            db.lock_order("a.myshopify.com", 1)
            run(connection, select(notes.c.n), {}).all()  # the lock goes with the job's first statement
            assert held_elsewhere(engine, key)
        assert not held_elsewhere(engine, key)


def test_after_jobs_the_pools_connections_begin_transactions_that_roll_back(engine: Engine):
    db = Database(engine)
    with db.job(), db.begin() as connection:
        run(connection, insert(notes), {"n": 1})
    with pytest.raises(Failed), db.job(), db.begin() as connection:
        run(connection, insert(notes), {"n": 2})
        raise Failed
    with pytest.raises(Failed), engine.begin() as connection:  # the pool's one connection, the jobs' before
        connection.execute(text("INSERT INTO notes VALUES (3)"))
        raise Failed
    assert written(engine) == [1]
    assert engine.pool.checkedin() == 1
