"""The `shopworker` command: one group, one module per area."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click


class InputError(click.ClickException):
    """Bad input from the person at the keyboard: exit status 2."""

    exit_code = 2


class Moment(click.ParamType):
    """An ISO 8601 date or datetime, handed on aware (one without an offset is UTC); `past` refuses the future."""

    name = "ISO-8601"

    def __init__(self, past: bool = False) -> None:
        self.past = past

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not an ISO 8601 date or datetime", param, ctx)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if self.past and moment > datetime.now(UTC):
            self.fail(f"{value!r} is in the future", param, ctx)
        return moment


class _OneLineErrors(click.Group):
    """Every error, a usage mistake included, is one line on stderr (`error: ...`), never a usage block or a
    traceback; input errors exit 2, an unreachable service 1."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            click.echo(f"error: {error.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as error:
            click.echo(f"error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shopworker", prog_name="shopworker", message="%(prog)s %(version)s")
def cli() -> None:
    """Run and inspect shopworker: the receiver and worker, their records, and dry runs of the store policies."""


def register() -> click.Group:
    """Attach every area's commands; imports happen here so `--help` stays quick and import-time stays free of I/O."""
    from worker.cli import db, events, late, privacy, reconcile, returns, service, shops, split

    for command in (
        service.serve,
        service.worker,
        service.replay,
        events.group,
        db.group,
        returns.group,
        late.group,
        split.group,
        reconcile.command,
        shops.group,
        shops.subscribe,
        privacy.group,
    ):
        cli.add_command(command)
    return cli


def main() -> None:
    register()(prog_name="shopworker")
