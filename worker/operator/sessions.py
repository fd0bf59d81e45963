"""Operator sessions kept in Redis, and the login throttle.

The cookie only names a session; the session itself lives in Redis, so logging out ends it everywhere, a session
can be revoked by deleting its key, and each session carries a fingerprint of the password it was opened with: once
OPERATOR_PASSWORD changes, every session opened under the old one is refused (and deleted when next seen).

Wrong passwords are slowed per client and overall. Each attempt is counted as a failure before the password is
checked (one atomic script), so attempts sent in parallel cannot all slip through before the first failure lands;
a right password takes its count back. Past a few free attempts each further one waits twice as long as the last.
Delays are answered with 429 and Retry-After rather than slept, so a flood of logins holds no web thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from redis import Redis

SESSION_KEY = "shopworker:operator:session:{}"
SALT_KEY = "shopworker:operator:salt"
THROTTLE_KEY = "shopworker:operator:login:{}"
OVERALL = "overall"

FREE_ATTEMPTS_PER_CLIENT = 5
FREE_ATTEMPTS_OVERALL = 50
FIRST_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 900
FORGET_AFTER_SECONDS = 3600

# KEYS = the client's throttle hash, the overall one; ARGV = now, then each key's free attempts, first delay, max
# delay and the seconds a quiet key is kept. Each hash holds `failures` and `until` (no attempt before then).
# Returns 0 when the attempt may go ahead (and counts it as a failure), else the seconds to wait.
_ATTEMPT = """
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, #KEYS do
  local until_ = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if until_ > now and until_ - now > wait then wait = until_ - now end
end
if wait > 0 then return math.ceil(wait) end
local free = {tonumber(ARGV[2]), tonumber(ARGV[3])}
for i = 1, #KEYS do
  local failures = redis.call('HINCRBY', KEYS[i], 'failures', 1)
  if failures > free[i] then
    local delay = math.min(tonumber(ARGV[4]) * 2 ^ (failures - free[i] - 1), tonumber(ARGV[5]))
    redis.call('HSET', KEYS[i], 'until', now + delay)
  end
  redis.call('EXPIRE', KEYS[i], ARGV[6])
end
return 0
"""


class OperatorSessions:
    def __init__(self, redis: Redis, password: str, lifetime_seconds: int, clock: Callable[[], float] = time.time):
        self.redis = redis
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock
        self._password = password
        self._fingerprint: str | None = None
        self._attempt = redis.register_script(_ATTEMPT)

    def fingerprint(self) -> str:
        """The password's HMAC under a random salt kept in Redis: equal for every web process with the same
        password, and no use for guessing it."""
        if self._fingerprint is None:
            self.redis.set(SALT_KEY, secrets.token_hex(16), nx=True)
            salt = self.redis.get(SALT_KEY) or b""
            self._fingerprint = hmac.new(salt, self._password.encode(), hashlib.sha256).hexdigest()
        return self._fingerprint

    def start(self) -> str:
        session_id = secrets.token_urlsafe(32)
        self.redis.set(_session_key(session_id), self.fingerprint(), ex=self.lifetime_seconds)
        return session_id

    def is_open(self, session_id: str | None) -> bool:
        if not session_id:
            return False
        opened_with = self.redis.get(_session_key(session_id))
        if opened_with is None:
            return False
        if opened_with.decode() != self.fingerprint():  # opened under a password that has since changed
            self.end(session_id)
            return False
        return True

    def end(self, session_id: str | None) -> None:
        if session_id:
            self.redis.delete(_session_key(session_id))

    def attempt(self, client: str) -> int:
        """0 when a login attempt from `client` may be checked now, else the seconds to wait."""
        return int(
            self._attempt(
                keys=[THROTTLE_KEY.format(client), THROTTLE_KEY.format(OVERALL)],
                args=[
                    self.clock(),
                    FREE_ATTEMPTS_PER_CLIENT,
                    FREE_ATTEMPTS_OVERALL,
                    FIRST_DELAY_SECONDS,
                    MAX_DELAY_SECONDS,
                    FORGET_AFTER_SECONDS,
                ],
            )
        )

    def succeeded(self, client: str) -> None:
        """The right password: the client starts afresh and its attempt is not counted overall."""
        pipe = self.redis.pipeline()
        pipe.delete(THROTTLE_KEY.format(client))
        pipe.hincrby(THROTTLE_KEY.format(OVERALL), "failures", -1)
        pipe.execute()


def _session_key(session_id: str) -> str:
    """Keyed by the id's digest, so Redis never holds a usable session id."""
    return SESSION_KEY.format(hashlib.sha256(session_id.encode()).hexdigest())
