"""Log lines: one JSON object each in production, readable text at a terminal, and nothing an operator's log
store must not hold (secrets, tokens, HMAC headers, customers' names, e-mails, phones, addresses)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest

from config.logs import REDACTED, configure_logging, error_summary

SECRET = "shpss_0123456789abcdef0123456789abcdef"


class Captured:
    """What the process wrote to stderr (pytest's capture stands in for it during a test)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.text = ""

    def getvalue(self) -> str:
        self.text += self.capsys.readouterr().err
        return self.text

    def clear(self) -> None:
        self.getvalue()
        self.text = ""


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    """Logging configured as in production (JSON), writing to the captured stderr."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    root.handlers = [h for h in root.handlers if h.get_name() != "shopworker"]
    configure_logging("INFO", "json", secrets=[SECRET, "app-secret-value"])
    yield Captured(capsys)
    root.handlers, root.level = saved[0], saved[1]


def logged(stream: Captured) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_production_line_is_one_json_object_with_shop_topic_and_event(lines):
    logging.getLogger("worker.jobs").info(
        "event %s", "processed", extra={"shop": "a.myshopify.com", "topic": "orders/paid", "event": "e-1"}
    )
    (line,) = logged(lines)
    assert line["message"] == "event processed"
    assert (line["shop"], line["topic"], line["event"]) == ("a.myshopify.com", "orders/paid", "e-1")
    assert (line["level"], line["logger"]) == ("INFO", "worker.jobs")
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(
    "extra",
    [
        {"hmac": "bm90IHRoZSBzaWduYXR1cmU="},
        {"x-shopify-hmac-sha256": "bm90IHRoZSBzaWduYXR1cmU="},
        {"access_token": "shpat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"authorization": "Bearer abc.def"},
        {"email": "jane.doe@example.com"},
        {"phone": "+1 555 010 9999"},
        {"first_name": "Jane", "last_name": "Doe"},
        {"shipping_address": {"address1": "1 Main St", "city": "Springfield"}},
        {"payload": {"customer": {"id": 7, "first_name": "Jane"}, "id": 5001}},
        {"headers": [{"password": "hunter22"}]},
        {"job": {"topic": "orders/create", "body": '{"billing_address": {"first_name": "Jane", "zip": "555 010"}}'}},
        {"destination": {"latitude": 45.7597113, "longitude": 4.8422777}, "note": "Jane Doe works nights"},
    ],
    ids=[
        "hmac",
        "hmac header",
        "access token",
        "authorization",
        "email",
        "phone",
        "names",
        "address",
        "customer nested in a payload",
        "inside a list",
        "a webhook's body as text",
        "coordinates and notes",
    ],
)
def test_sensitive_fields_are_redacted_wherever_they_sit(lines, extra):
    logging.getLogger("webhooks.receiver").warning("rejected", extra=extra)
    text = lines.getvalue()
    for secret in ("bm90IHRoZSBz", "shpat_", "abc.def", "jane.doe", "555 010", "Jane", "Doe", "Main St", "hunter22",
                   "45.759", "4.842"):  # fmt: skip
        assert secret not in text
    assert REDACTED in text


def test_an_order_id_beside_a_redacted_customer_is_kept(lines):
    logging.getLogger("x").info("saved", extra={"payload": {"customer": {"email": "a@b.co"}, "id": 5001}})
    (line,) = logged(lines)
    assert line["payload"] == {"customer": REDACTED, "id": 5001}


@pytest.mark.parametrize(
    ("message", "hidden"),
    [
        ("cannot reach Shopify with token %s", SECRET),
        ("verifying with %s failed", "app-secret-value"),
        ("customer %s asked for a return", "jane.doe+shop@example.co.uk"),
        ("call back %s", "+44 20 7946 0958"),
        ("header was %s", "Bearer eyJhbGciOi.payload.sig"),
        ("renewing with %s", "shprt_0123456789abcdef0123456789abcdef"),
    ],
    ids=["access token", "configured secret", "email", "phone", "bearer credential", "refresh token"],
)
def test_secrets_and_personal_data_in_the_message_text_are_masked(lines, message, hidden):
    logging.getLogger("worker").error(message, hidden)
    (line,) = logged(lines)
    assert hidden not in line["message"]
    assert REDACTED in line["message"]


def test_order_numbers_and_timestamps_are_not_mistaken_for_phone_numbers(lines):
    logging.getLogger("worker").info("order #1001 updated at 2026-03-02T09:15:00+01:00, amount 1234567.89")
    (line,) = logged(lines)
    assert line["message"] == "order #1001 updated at 2026-03-02T09:15:00+01:00, amount 1234567.89"


def test_a_traceback_is_kept_in_the_line_without_the_secret_it_mentions(lines):
    try:
        raise RuntimeError(f"Shopify refused token {SECRET}")
    except RuntimeError:
        logging.getLogger("worker").exception("send failed")
    (line,) = logged(lines)
    assert "RuntimeError" in line["exception"]
    assert SECRET not in lines.getvalue()


def test_configuring_again_replaces_the_handler_instead_of_doubling_lines(lines):
    configure_logging("INFO", "json")
    configure_logging("INFO", "json", secrets=[SECRET])
    logging.getLogger("worker").info("once")
    assert len(logged(lines)) == 1


def test_text_format_is_a_readable_line_with_the_fields_appended(lines):
    configure_logging("INFO", "text")
    logging.getLogger("worker.jobs").info("event processed", extra={"shop": "a.myshopify.com", "email": "x@y.io"})
    text = lines.getvalue()
    assert "INFO" in text and "worker.jobs: event processed shop=a.myshopify.com" in text
    assert "x@y.io" not in text


def test_without_a_format_a_terminal_gets_text_and_a_pipe_gets_json(lines, monkeypatch):
    configure_logging("INFO", None)
    logging.getLogger("worker").info("piped")
    assert json.loads(lines.getvalue())["message"] == "piped"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    lines.clear()
    configure_logging("INFO", None)
    logging.getLogger("worker").info("at a terminal")
    assert lines.getvalue().rstrip().endswith("worker: at a terminal")


def test_the_level_is_honoured(lines):
    configure_logging("WARNING", "json")
    logging.getLogger("worker").info("chatter")
    logging.getLogger("worker").warning("worth reading")
    assert [line["message"] for line in logged(lines)] == ["worth reading"]


def test_an_error_is_summed_up_by_its_type_and_first_line_without_the_values_it_quotes():
    assert error_summary(KeyError("12 rue des Lilas")) == f"KeyError: {REDACTED}"
    assert error_summary(ValueError('invalid input for type bigint: "Camille"\nLINE 1: ...')) == (
        f"ValueError: invalid input for type bigint: {REDACTED}"
    )
    assert error_summary(TimeoutError()) == "TimeoutError"
