"""The receiver's enqueue in one Redis round trip: RQ's own enqueue commands, captured once and replayed by a Lua
script behind the delivery's dedup mark.

Why: on Shopify's 15 KB sample order it costs the receiver about 120-150 us of CPU per webhook (README, "Measured"),
where building, compressing and saving a Job object behind a separate dedup SET costs about 500 us, four times as
much, in a process that spends about 990 us on the whole request.
The commands are RQ's exact sequence for the installed version, which is why pyproject.toml pins rq to a minor
version: a new RQ may write its job hash differently, and the template must then be captured from it again.
"""

from __future__ import annotations

from typing import Any

from rq import Queue
from rq.job import Job

# Runs the commands RQ would send to enqueue a job, but only if the delivery's dedup key was not already set.
# Either both happen or neither does: a failed enqueue never leaves a delivery marked as seen.
GUARDED_ENQUEUE = """
-- KEYS[1] = the delivery's dedup key (shopworker:seen:{shop}:{topic}:{event_id}, see queueing.keys.DeliveryKey)
-- ARGV[1] = the job id, kept as the dedup key's value (which job a later duplicate was folded into)
-- ARGV[2] = seconds the dedup key lives (DEDUP_SECONDS)
-- ARGV[3+] = RQ's enqueue commands (EnqueueTemplate.fill), each as its argument count, then its arguments;
--            with rq 3.0:
--              3, SADD rq:queues rq:queue:{queue}
--              4, HSET rq:job:{id} status queued
--              n, HSET rq:job:{id} created_at ... data ... description ... enqueued_at ... (the job hash,
--                 less the fields RQ writes empty)
--              3, RPUSH rq:queue:{queue} {id}

-- Mark the delivery seen; when it already was, enqueue nothing
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return 0
end

-- Replay the enqueue commands in order
local i = 3
while i <= #ARGV do
  local argc = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + argc))
  i = i + 1 + argc
end
return 1
"""

PLACEHOLDER = "shopworker-placeholder"


class EnqueueTemplate:
    """The commands RQ sends to enqueue one of our jobs, captured once from RQ itself, as the guarded-enqueue
    script reads them (each command's length, then its arguments). A webhook fills in only what is its own: the
    job id and the job hash's data, description and times. The data goes as the serializer wrote it (zstd), which
    RQ reads as it is. The fields RQ writes empty at enqueue (the callbacks, worker name, start and end times: 8 of
    its 19) are left out, as RQ reads a missing field as an empty one: in a hash holding one large value, each field
    costs Redis about 60 bytes, 10 % of a queued order."""

    def __init__(self, queue: Queue, job: Job) -> None:
        pipe = queue.connection.pipeline(transaction=False)
        queue.enqueue_job(job, pipeline=pipe)
        self.argv: list[Any] = []
        self.id_slots: list[int] = []
        self.field_slots: dict[str, int] = {}
        for args, _options in pipe.command_stack:
            if args[0] == "HSET":
                pairs = zip(args[2::2], args[3::2], strict=True)
                args = (*args[:2], *(item for pair in pairs if pair[1] != "" for item in pair))
            self.argv.append(len(args))
            start = len(self.argv)
            self.argv.extend(args)
            self.id_slots += [start + i for i, arg in enumerate(args) if isinstance(arg, str) and job.id in arg]
            if args[0] == "HSET":
                self.field_slots.update({args[i]: start + i + 1 for i in range(2, len(args) - 1, 2)})
        pipe.reset()

    def fill(self, job_id: str, **fields: Any) -> list[Any]:
        argv = self.argv.copy()
        for slot in self.id_slots:
            argv[slot] = argv[slot].replace(PLACEHOLDER, job_id)
        for name, value in fields.items():
            argv[self.field_slots[name]] = value
        return argv
