"""shopify.app.toml says what the code does: the scopes list, every topic we act on (compliance topics apart), the
webhooks API version, and addresses Shopify CLI accepts; every topic is one Shopify's schemas know."""

from __future__ import annotations

import gzip
import json
import tomllib
from functools import cache
from pathlib import Path

import pytest

from config.settings import Settings
from queueing.topics import JOB_FOR_TOPIC
from tests.shopify_schema import SCHEMAS
from worker.adapters.shopify.port import topic_enum_name
from worker.adapters.shopify.scopes import SCOPES, missing

ROOT = Path(__file__).resolve().parents[2]
COMPLIANCE = {"customers/data_request", "customers/redact", "shop/redact"}
CONFIG = tomllib.loads((ROOT / "shopify.app.toml").read_text())


@cache
def topic_enum(version: str) -> set[str]:
    with gzip.open(SCHEMAS / f"admin_{version}.json.gz") as schema:
        types = json.load(schema)["data"]["__schema"]["types"]
    (topics,) = [t for t in types if t["name"] == "WebhookSubscriptionTopic"]
    return {value["name"] for value in topics["enumValues"]}


def test_the_toml_asks_for_exactly_the_scopes_the_code_lists():
    assert CONFIG["access_scopes"]["scopes"].split(",") == list(SCOPES)


def test_the_toml_subscribes_every_topic_we_act_on_and_the_compliance_topics_to_webhooks():
    topics = [t for s in CONFIG["webhooks"]["subscriptions"] for t in s.get("topics", [])]
    compliance = [t for s in CONFIG["webhooks"]["subscriptions"] for t in s.get("compliance_topics", [])]
    assert sorted(topics) == sorted(set(JOB_FOR_TOPIC) - COMPLIANCE)
    assert set(compliance) == COMPLIANCE
    uris = {s["uri"] for s in CONFIG["webhooks"]["subscriptions"]}
    app_url = CONFIG["application_url"].rstrip("/")
    assert uris == {f"{app_url}/webhooks"} and app_url.startswith("https://")
    assert CONFIG["auth"]["redirect_urls"] == [f"{app_url}/auth/callback"]


def test_the_webhooks_api_version_is_the_one_the_worker_reads():
    assert CONFIG["webhooks"]["api_version"] == Settings(api_secrets=("s",)).shopify_api_version


@pytest.mark.parametrize("version", ["2026-04", "2026-07"])
def test_every_topic_is_a_webhook_topic_in_shopifys_schema(version):
    enum = topic_enum(version)
    unknown = [t for t in JOB_FOR_TOPIC if t not in COMPLIANCE and topic_enum_name(t) not in enum]
    assert unknown == []


def test_a_write_scope_stands_for_its_read_scope_when_checking_what_is_missing():
    granted = [s for s in SCOPES if s != "read_returns" and s != "read_inventory"]
    assert missing(granted) == ["read_inventory"]
    assert missing(list(SCOPES)) == []
