"""`shopworker db`: the records database's schema."""

from __future__ import annotations

import click

from worker.adapters.db import current_revision, make_engine, upgrade
from worker.cli.settings import settings_from_env


@click.group(name="db")
def group() -> None:
    """Manage the records database."""


@group.command(name="upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (runs on each release)."""
    settings = settings_from_env(require_secret=False)
    engine = make_engine(settings.database_url, settings.database_schema)
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()
