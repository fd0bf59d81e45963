"""What every job is given: its retries (seconds between attempts), how long RQ keeps it, how long it may run."""

from __future__ import annotations

RETRY_INTERVALS = [10, 60, 300, 900, 3600]
FAILURE_TTL = 14 * 24 * 3600
RESULT_TTL = 3600
JOB_TIMEOUT = 300
