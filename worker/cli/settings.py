"""Settings for commands: the same environment as the services, with the error shown as one line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from config.settings import Settings, SettingsError, load_settings
from worker.cli import InputError

if TYPE_CHECKING:
    from worker.bootstrap import Services


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    try:
        return load_settings(env)
    except SettingsError as error:
        raise InputError(str(error)) from None


@contextmanager
def services_from_env(settings: Settings | None = None) -> Iterator[Services]:
    """The worker's services for one command, from the composition root; connections closed when it ends."""
    from worker import bootstrap

    services = bootstrap.build(settings or settings_from_env())
    try:
        yield services
    finally:
        services.engine.dispose()
        if services.queue is not None:
            services.queue.redis.close()
