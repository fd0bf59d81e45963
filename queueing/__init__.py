"""The queue contract both processes share: how a delivery becomes an RQ job (dedup and enqueue), the job's JSON
format and retry policy, which job handles each topic, and the Redis keys the worker writes for the web process to
read. It imports neither `webhooks` nor `worker`, so each process depends on it and never on the other."""
