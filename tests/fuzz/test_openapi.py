"""The receiver keeps to its published description (webhooks/openapi.yaml): schemathesis generates requests from
it, sends them through the WSGI app (no network), and checks every answer's status, content type and body."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.settings import Settings
from tests.fuzz.conftest import MAX_BODY
from tests.support import TEST_SECRET
from webhooks import create_app

SPEC = Path(__file__).resolve().parents[2] / "webhooks" / "openapi.yaml"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def schema(fuzz_redis, tmp_path: Path):  # noqa: ANN201 - a schemathesis schema bound to the app
    fuzz_redis.flushdb()
    settings_ = Settings(
        api_secrets=(TEST_SECRET,),
        redis_url="redis://unused",
        database_url=f"sqlite:///{tmp_path / 'ready.db'}",
        max_body_bytes=MAX_BODY,
    )
    loaded = schemathesis.openapi.from_path(SPEC)
    loaded.app = create_app(settings_, fuzz_redis)
    return loaded


@pytest.mark.parametrize(
    ("method", "path", "examples"),
    [("POST", "/webhooks", 300), ("GET", "/healthz", 20), ("GET", "/readyz", 20), ("GET", "/metrics", 20)],
)
def test_every_answer_conforms_to_the_published_description(schema, method, path, examples):
    operation = schema[path][method]
    answered: set[int] = set()

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def conforms(case) -> None:  # noqa: ANN001
        response = case.call_and_validate(checks=CHECKS)
        answered.add(response.status_code)

    conforms()
    assert answered and max(answered) < 500
