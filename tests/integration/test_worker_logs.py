"""What `shopworker worker` writes to its log when a job carrying a customer's personal data fails."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from tests.integration.test_privacy import camille, deliver, personal_in, personal_order
from tests.support import SHOP, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def run_worker(settings) -> list[dict]:  # noqa: ANN001
    """The worker as deployed (`shopworker worker`, JSON logs), in burst mode: its log lines, one object each."""
    env = {
        **os.environ,
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "REDIS_URL": settings.redis_url,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    done = subprocess.run(
        [sys.executable, "-m", "worker", "worker", "--burst", "--no-scheduler"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stderr.splitlines()]


def test_a_failing_job_is_logged_by_its_ids_and_error_without_any_of_its_payload(stack, settings):
    deliver(stack, "orders/create", personal_order(5001, camille(), "camille@example.fr"), "evt-5001")
    # The orders table gone: the job fails on a statement whose parameters are the order's personal fields.
    with stack.services.engine.begin() as connection:
        connection.execute(text("DROP TABLE orders"))

    lines = run_worker(settings)

    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert personal_in(written) == []
    (failure,) = [line for line in lines if line["level"] == "ERROR"]
    assert re.fullmatch(r"job failed: (OperationalError|ProgrammingError): .+", failure["message"])
    assert (failure["shop"], failure["topic"], failure["event"]) == (SHOP, "orders/create", "evt-5001")
    assert stack.services.jobs.queue.fetch_job(failure["job"]).args[0]["event_id"] == "evt-5001"  # its retry
    assert failure["raised_in"].startswith("worker/adapters/db.py:")  # the upsert
    assert not {"arguments", "kwargs", "exception", "func"} & failure.keys()
