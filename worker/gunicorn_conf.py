"""gunicorn's hooks for the web process: `gunicorn --config python:worker.gunicorn_conf 'worker.web:create_app()'`.

The settings are checked once in the master before any worker boots, so a mistake is one line on stderr and exit
status 2, not a traceback per worker boot. The receiver's metrics are kept in prometheus-client's multiprocess
directory, so that every worker's counts add up in each scrape whichever worker answers it: when the environment
names no directory, the master makes one of its own before the first fork (prometheus-client chooses its storage
when first imported, in each worker) and removes it on exit.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# Threads with a read deadline per request (webhooks/read_deadline.py): a client trickling its request holds a
# thread a few seconds at most.
worker_class = "webhooks.read_deadline.ReadDeadlineWorker"
threads = 4

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made_here: list[str] = []


def on_starting(server: Any) -> None:  # noqa: ARG001 - gunicorn's hook signature
    from config.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        # Before anything the check imports could bring in prometheus-client with its in-memory storage.
        _multiprocess_directory(settings.prometheus_multiproc_dir)
        from worker.web import check_settings

        check_settings(settings)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


def _multiprocess_directory(named: str | None) -> None:
    if named:
        # Files left by an earlier run would be counted again: prometheus-client asks for an empty directory.
        directory = Path(named)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        made = tempfile.mkdtemp(prefix="shopworker-metrics-")
        _made_here.append(made)
        os.environ[MULTIPROC_VARIABLE] = made


def child_exit(server: Any, worker: Any) -> None:  # noqa: ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:  # noqa: ARG001
    for made in _made_here:
        shutil.rmtree(made, ignore_errors=True)
