"""Settings for commands: the same environment as the services, with the error shown as one line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings, SettingsError, load_settings
from worker.cli import InputError

if TYPE_CHECKING:
    from worker.bootstrap import Services


def settings_from_env(env: Mapping[str, str] | None = None, require_secret: bool = True) -> Settings:
    try:
        return load_settings(env, require_secret=require_secret)
    except SettingsError as error:
        raise InputError(str(error)) from None


@contextmanager
def services_from_env(settings: Settings | None = None, read_only: bool = False) -> Iterator[Services]:
    """The worker's services for one command, from the composition root; connections closed when it ends, and any
    database error shown as one line. A command that only reads needs no webhook secret, and finds a SQLite file or
    says it is not there: it never leaves an empty one behind."""
    from worker import bootstrap

    settings = settings or settings_from_env(require_secret=not read_only)
    if read_only:
        _refuse_a_missing_sqlite_file(settings.database_url)
    services = bootstrap.build(settings)
    try:
        yield services
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise click.ClickException(f"the records database cannot be read: {reason}") from None
    finally:
        services.engine.dispose()
        if services.queue is not None:
            services.queue.redis.close()


def _refuse_a_missing_sqlite_file(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "")
        if not path.is_file():
            raise click.ClickException(
                f"no records database at {path} yet (`shopworker serve` or `shopworker db upgrade` makes it), "
                "or set DATABASE_URL"
            )
