"""`shopworker returns`: placeholder until its issue lands."""

import click


@click.group(name="returns")
def group() -> None:
    """Not available yet."""
