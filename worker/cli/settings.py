"""Settings for commands: the same environment as the services, with the error shown as one line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Engine

from config.settings import Settings, SettingsError, load_settings
from worker.cli import InputError


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    try:
        return load_settings(env)
    except SettingsError as error:
        raise InputError(str(error)) from None


@contextmanager
def database_from_env() -> Iterator[Engine]:
    """The records database for one command, its connections closed when the command ends."""
    from worker.adapters.db import make_engine

    settings = settings_from_env()
    engine = make_engine(settings.database_url, settings.database_schema)
    try:
        yield engine
    finally:
        engine.dispose()
