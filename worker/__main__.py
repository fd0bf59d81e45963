"""`python -m worker` is the `shopworker` command."""

from worker.cli import main

main()
