"""Work that recurs (sweeps, resends). Each run is an RQ job scheduled for its time slot under an id made from
the slot, so any number of workers seeding the same slot make one job; each run first schedules the next, so a
failing run does not end the chain, and every worker start seeds it again.

RQ's own cron scheduler enqueues with the pickle serializer only, which our JSON-only workers refuse."""

from __future__ import annotations

from datetime import UTC, datetime

from queueing.intake import Intake

PERIODIC_JOB = "worker.jobs.run_periodic"

# name -> (the function in worker.jobs that does the work, seconds between runs)
SCHEDULE: dict[str, tuple[str, int]] = {
    "resend-pending-actions": ("resend_pending_actions", 300),
    "publish-metrics": ("publish_metrics", 60),
    "late-sweep": ("sweep_late_deliveries", 3600),
    "reconcile": ("reconcile_shops", 900),
    "prune-event-payloads": ("prune_event_payloads", 3600),
}


def next_slot(now: datetime, interval: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % interval + interval, UTC)


def schedule_next(jobs: Intake, name: str, now: datetime) -> bool:
    _function, interval = SCHEDULE[name]
    at = next_slot(now, interval)
    job_id = f"periodic-{name}-{int(at.timestamp())}"
    return jobs.enqueue(PERIODIC_JOB, {"name": name}, f"periodic {name}", at=at, job_id=job_id)


def seed(jobs: Intake, now: datetime) -> None:
    for name in SCHEDULE:
        schedule_next(jobs, name, now)
