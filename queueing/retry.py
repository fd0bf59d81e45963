"""What every job is given: its retries (seconds between attempts), how long RQ keeps it, how long it may run."""

from __future__ import annotations

RETRY_INTERVALS = [10, 60, 300, 900, 3600]
FAILURE_TTL = 14 * 24 * 3600
# A finished job is deleted at once: the event log holds its outcome, and a job kept for RQ's result TTL keeps its
# whole payload in Redis (a sale at 90 events a second would hold 1.6 GB for an hour's TTL, 25 MB for 60 s).
RESULT_TTL = 0
JOB_TIMEOUT = 300
