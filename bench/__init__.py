"""Benchmarks, one script per figure, each printing its baseline from the same run: `python -m bench.<name>`."""
