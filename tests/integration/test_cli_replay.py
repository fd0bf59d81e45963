"""`shopworker replay --direct`: fixture payloads queued straight into Redis, as the receiver would queue them."""

from __future__ import annotations

from click.testing import CliRunner
from rq import Queue

from queueing.serializer import JobSerializer
from tests.support import FIXTURES, TEST_SECRET, fixture_deliveries
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
    assert result.output == f"error: cannot tell the topic of {stray} from its path; pass --topic\n"
    assert Queue("shopworker", connection=redis, serializer=JobSerializer).count == 0
    named = replay(redis_url, "--topic", "orders/create", str(stray))
    assert "queued" in named.output
