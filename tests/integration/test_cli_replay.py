"""`shopworker replay --direct`: fixture payloads queued straight into Redis, as the receiver would queue them."""

from __future__ import annotations

from click.testing import CliRunner
from rq import Queue

from queueing.serializer import JobSerializer
from tests.support import FIXTURES, SAMPLES, TEST_SECRET, fixture_deliveries
from worker.cli import register


def replay(redis_url: str, *args: str):  # noqa: ANN201
    env = {"SHOPIFY_API_SECRET": TEST_SECRET, "REDIS_URL": redis_url}
    return CliRunner().invoke(register(), ["replay", "--direct", *args], env=env)


def test_direct_replay_queues_each_fixture_once_and_names_its_topic(redis_url, redis):
    first = replay(redis_url, str(FIXTURES))
    assert first.exit_code == 0, first.output
    assert first.output.count("queued") == len(fixture_deliveries())
    assert "fulfillment_events/create" in first.output
    again = replay(redis_url, str(FIXTURES))
    assert again.output.count("duplicate") == len(fixture_deliveries())
    fresh = replay(redis_url, "--fresh", str(FIXTURES / "orders" / "create"))
    assert fresh.output.count("queued") == 1
    queue = Queue("shopworker", connection=redis, serializer=JobSerializer)
    assert queue.count == len(fixture_deliveries()) + 1


def test_a_file_whose_topic_cannot_be_told_is_refused_unless_named(redis_url, redis, tmp_path):
    stray = tmp_path / "stray.json"
    stray.write_text("{}")
    result = replay(redis_url, str(stray))
    assert result.exit_code == 2
    assert result.output == (
        f"error: {stray} names no topic (orders__create.json, or .../orders/create/NAME.json for a topic "
        "shopworker acts on); pass --topic\n"
    )
    assert Queue("shopworker", connection=redis, serializer=JobSerializer).count == 0
    named = replay(redis_url, "--topic", "orders/create", str(stray))
    assert "queued" in named.output


def test_folders_that_only_look_like_a_topic_name_none_and_nothing_is_sent(redis_url, redis, tmp_path):
    downloads = tmp_path / "downloads" / "orders"
    downloads.mkdir(parents=True)
    (downloads / "export.json").write_text("{}")
    (tmp_path / "orders__create.json").write_text("{}")
    result = replay(redis_url, str(tmp_path))
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {downloads / 'export.json'} names no topic")
    assert Queue("shopworker", connection=redis, serializer=JobSerializer).count == 0


def test_topics_that_delete_records_are_sent_only_when_allowed(redis_url, redis):
    refused = replay(redis_url, str(SAMPLES))
    assert refused.exit_code == 2
    assert refused.output == (
        "error: app__uninstalled.json (app/uninstalled), customers__redact.json (customers/redact), "
        "shop__redact.json (shop/redact): these delete records for good; pass --allow-destructive to send them\n"
    )
    assert Queue("shopworker", connection=redis, serializer=JobSerializer).count == 0
    one = replay(redis_url, "--topic", "shop/redact", str(SAMPLES / "orders__create.json"))
    assert (one.exit_code, one.output) == (
        2,
        "error: orders__create.json (shop/redact): this deletes records for good; pass --allow-destructive to send "
        "it\n",
    )
    allowed = replay(redis_url, "--allow-destructive", str(SAMPLES))
    assert allowed.exit_code == 0, allowed.output
    assert "shop/redact" in allowed.output.splitlines()[-1]
