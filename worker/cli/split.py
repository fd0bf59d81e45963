"""`shopworker split`: placeholder until its issue lands."""

import click


@click.group(name="split")
def group() -> None:
    """Not available yet."""
