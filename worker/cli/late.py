"""`shopworker late`: placeholder until its issue lands."""

import click


@click.group(name="late")
def group() -> None:
    """Not available yet."""
