"""Settings for commands: the same environment as the services, with the error shown as one line."""

from __future__ import annotations

from collections.abc import Mapping

from config.settings import Settings, SettingsError, load_settings
from worker.cli import InputError


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    try:
        return load_settings(env)
    except SettingsError as error:
        raise InputError(str(error)) from None
