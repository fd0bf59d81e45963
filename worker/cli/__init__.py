"""The `shopworker` command: one group, one module per area."""

from __future__ import annotations

import click


@click.group()
def cli() -> None:
    """Run and inspect shopworker."""


def main() -> None:
    from worker.cli import late, returns, split

    for module in (returns, late, split):
        cli.add_command(module.group)
    cli(prog_name="shopworker")
