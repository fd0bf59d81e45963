"""Thousands of generated hostile requests at POST /webhooks: never a 500, never a job for a body that did not
verify, and the right 4xx each time. Each test throws its planned number of requests and checks that it did."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queueing.topics import JOB_FOR_TOPIC
from tests.fuzz.conftest import MAX_BODY, Receiver
from tests.support import SAMPLES, SHOP, TEST_SECRET, fixture_deliveries, headers_for, shopify_samples
from webhooks.depth import MAX_JSON_DEPTH
from webhooks.headers import ID_MAX_CHARS

# Requests each test throws; together at least 10,000.
PLAN = {
    "unsigned": 1500,
    "bad_base64": 1000,
    "signed_junk": 1500,
    "json_values": 1300,
    "nesting": 1000,
    "numbers": 900,
    "oversize": 600,
    "shops": 1200,
    "topics": 1000,
}
SHOPIFY_HEADERS = [
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Event-Id",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Triggered-At",
    "X-Shopify-API-Version",
    "Content-Type",
]
SAMPLE_BODIES = [path.read_bytes() for path in sorted(SAMPLES.glob("*.json"))]
# Shopify's sample where it publishes one, else our fixture built from the topic's documented fields
SAMPLE_FOR_TOPIC = {topic: body for topic, _, body in fixture_deliveries()} | dict(shopify_samples())
UPDATED = b'"updated_at": "2026-03-01T12:00:00Z"'
ORDER = b'{"id": 1, "line_items": [], ' + UPDATED + b"}"
SHOPIFY_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{ID_MAX_CHARS - 1}}}")
VALID_SHOP = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]\.myshopify\.com")

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=80)
header_name = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,24}", fullmatch=True)


def throw(receiver: Receiver, planned: int, *strategies: st.SearchStrategy[Any]) -> Callable:
    """Run the decorated check for `planned` generated examples (one request each), then prove they were sent."""

    def decorate(check: Callable) -> None:
        before = receiver.sent
        run = settings(
            max_examples=planned,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        )(given(*strategies)(check))
        run()
        assert receiver.sent - before >= planned
        assert 500 not in receiver.statuses

    return decorate


def json_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((json_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((json_depth(v) for v in value), default=0)
    return 0


def refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def within_double(digits: str) -> int:
    value = int(digits)
    float(value)  # OverflowError beyond a double's range
    return value


def expected_for_signed(body: bytes) -> int:
    """What a correctly signed body deserves: 200 for a UTF-8 JSON object at most MAX_JSON_DEPTH deep, else 400.
    JSON as RFC 8259 has it, which any reader (and PostgreSQL) takes alike: no NaN or Infinity, no number that
    overflows a double, no unpaired surrogate."""
    if len(body) > MAX_BODY:
        return 413
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=refuse, parse_int=within_double)
        json.dumps(payload, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, OverflowError, RecursionError):
        return 400
    return 200 if isinstance(payload, dict) and json_depth(payload) <= MAX_JSON_DEPTH else 400


def refused_for_its_shape(response) -> bool:  # noqa: ANN001
    """A JSON object may still be refused for what it holds: not an order's shape (these bodies are sent as
    orders/create), or a value the records cannot keep; tests/integration/test_receiver_refusals.py has the cases."""
    error = response.json.get("error", "")
    return response.status_code == 400 and (error.startswith("orders/create") or "the records" in error)


def assert_signed_answer(receiver: Receiver, body: bytes, response, depth_before: int) -> None:  # noqa: ANN001
    expected = expected_for_signed(body)
    if expected == 200 and refused_for_its_shape(response):
        expected = 400
    assert response.status_code == expected, (body[:200], response.json)
    queued = response.json["status"] == "queued"
    assert receiver.depth() == depth_before + queued
    if expected != 200:
        assert response.json["status"] == "rejected" and response.json["error"]


def test_unsigned_or_missigned_requests_with_any_headers_are_401_and_queue_nothing(receiver):
    hmac_values = st.one_of(
        header_text,
        st.binary(min_size=32, max_size=32).map(lambda raw: base64.b64encode(raw).decode()),
        st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode()),
    )
    headers = st.dictionaries(st.one_of(st.sampled_from(SHOPIFY_HEADERS), header_name), header_text, max_size=10)

    @throw(receiver, PLAN["unsigned"], headers, st.one_of(st.none(), hmac_values), st.binary(max_size=2048))
    def _(headers: dict[str, str], hmac: str | None, body: bytes) -> None:
        headers = {k: v for k, v in headers.items() if k.lower() != "x-shopify-hmac-sha256"}
        if hmac is not None:
            headers["X-Shopify-Hmac-Sha256"] = hmac
        response = receiver.post(body, headers)
        assert response.status_code == 401
        assert "X-Shopify-Hmac-Sha256" in response.json["error"]
        assert receiver.depth() == 0


def test_signatures_that_are_not_base64_or_not_the_right_length_are_401(receiver):
    body = ORDER
    right = headers_for(body, "orders/create", TEST_SECRET)["X-Shopify-Hmac-Sha256"]
    mangled = st.one_of(
        st.text(st.sampled_from("ABCDEFabcdef0123456789+/=-_ \t%!"), max_size=60),
        st.integers(1, len(right) - 1).map(lambda cut: right[:cut]),
        st.text(st.sampled_from("="), min_size=1, max_size=3).map(lambda pad: right.rstrip("=") + pad + "="),
        st.builds(
            lambda i, c: right[:i] + c + right[i + 1 :],
            st.integers(0, len(right) - 1),
            header_text.filter(lambda c: len(c) == 1),
        ),
        st.just(right.lower()),
        st.just(base64.urlsafe_b64encode(base64.b64decode(right)).decode() + "~"),
    )

    @throw(receiver, PLAN["bad_base64"], mangled)
    def _(hmac: str) -> None:
        headers = {**headers_for(body, "orders/create", TEST_SECRET), "X-Shopify-Hmac-Sha256": hmac}
        depth = receiver.depth()
        response = receiver.post(body, headers)
        if encodes_digest(hmac.strip(), right):  # another spelling of the right signature (e.g. padding spaces)
            assert response.status_code == 200
        else:
            assert response.status_code == 401
        assert receiver.depth() == depth + (response.json.get("status") == "queued")


def encodes_digest(header: str, right: str) -> bool:
    try:
        return base64.b64decode(header, validate=True) == base64.b64decode(right)
    except ValueError:
        return False


def mutate(sample: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    body = bytearray(sample)
    for position, cut, insert in edits:
        at = position % (len(body) + 1)
        body[at : at + cut] = insert
    return bytes(body)


def test_correctly_signed_junk_is_a_400_and_only_json_objects_are_queued(receiver):
    junk = st.one_of(
        st.binary(max_size=4096),
        st.builds(
            mutate,
            st.sampled_from(SAMPLE_BODIES),
            st.lists(
                st.tuples(st.integers(0, 10**6), st.integers(0, 8), st.binary(max_size=8)), min_size=1, max_size=6
            ),
        ),
        st.sampled_from(SAMPLE_BODIES)
        .map(lambda b: json.loads(b))
        .flatmap(
            lambda payload: st.sampled_from(["utf-16", "utf-16-be", "utf-32", "utf-8-sig", "latin-1"]).map(
                lambda encoding: json.dumps(payload, ensure_ascii=False).encode(encoding, errors="replace")
            )
        ),
        st.sampled_from([b"", b"null", b"[]", b'"{}"', b"{", b"}", b"{}}", b"{}{}", b"\xef\xbb\xbf{}", b"{}\x00"]),
    )

    @throw(receiver, PLAN["signed_junk"], junk)
    def _(body: bytes) -> None:
        depth = receiver.depth()
        assert_signed_answer(receiver, body, receiver.signed(body), depth)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)


def test_any_signed_json_value_is_queued_when_it_is_an_object_and_refused_otherwise(receiver):
    @throw(receiver, PLAN["json_values"], json_values, st.booleans(), header_text)
    def _(value: Any, ascii_only: bool, event: str) -> None:
        body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", errors="surrogatepass")
        depth = receiver.depth()
        event_id = event.strip() or None
        response = receiver.signed(body, event_id=event_id)
        if event_id and not SHOPIFY_ID.fullmatch(event_id):
            assert response.status_code == 400 and "X-Shopify-Event-Id" in response.json["error"]
            assert receiver.depth() == depth
            return
        assert_signed_answer(receiver, body, response, depth)
        if response.status_code == 200:
            assert response.json["status"] in {"queued", "duplicate"}


def test_nesting_deeper_than_the_cap_is_a_400_that_says_so_while_brackets_in_strings_do_not_count(receiver):
    @throw(receiver, PLAN["nesting"], st.lists(st.booleans(), max_size=400), st.integers(0, 300))
    def _(levels: list[bool], brackets_in_string: int) -> None:
        opening = b"".join(b"[" if is_list else b'{"k":' for is_list in levels)
        closing = b"".join(b"]" if is_list else b"}" for is_list in reversed(levels))
        inner = json.dumps("[{" * brackets_in_string).encode()
        body = b'{"id": 1, "line_items": [], ' + UPDATED + b', "deep": ' + opening + inner + closing + b"}"
        depth = receiver.depth()
        response = receiver.signed(body)
        assert_signed_answer(receiver, body, response, depth)
        if 1 + len(levels) > MAX_JSON_DEPTH:
            assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json["error"]


def test_huge_and_odd_numbers_never_break_the_receiver(receiver):
    numbers = st.one_of(
        st.integers(1, 12_000).map(lambda n: "9" * n),
        st.integers(1, 12_000).map(lambda n: "-1" + "0" * n),
        st.integers(-400_000, 400_000).map(lambda e: f"1e{e}"),
        st.integers(1, 5_000).map(lambda n: "0." + "3" * n),
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1e", "01", "--1", "0x10", "1_000", "+1", ".5"]),
    )

    @throw(receiver, PLAN["numbers"], numbers)
    def _(number: str) -> None:
        fields = b', "line_items": [], ' + UPDATED + b', "total_price": '
        body = b'{"id": ' + number.encode() + fields + number.encode() + b"}"
        depth = receiver.depth()
        assert_signed_answer(receiver, body, receiver.signed(body), depth)


def test_a_body_over_the_limit_is_a_413_signed_or_not(receiver):
    sizes = st.one_of(st.integers(MAX_BODY - 64, MAX_BODY + 64), st.integers(MAX_BODY + 1, 20 * MAX_BODY))

    @throw(receiver, PLAN["oversize"], sizes, st.booleans())
    def _(size: int, sign: bool) -> None:
        start = b'{"id": 1, "line_items": [], ' + UPDATED + b', "pad": "'
        body = start + b"x" * (size - len(start) - 2) + b'"}'
        headers = headers_for(body, "orders/create", TEST_SECRET if sign else "wrong")
        depth = receiver.depth()
        response = receiver.post(body, headers)
        if len(body) > MAX_BODY:
            assert response.status_code == 413
            assert f"{MAX_BODY}-byte limit" in response.json["error"]
        else:
            assert response.status_code == (200 if sign else 401)
        assert receiver.depth() == depth + (response.status_code == 200)


def test_only_a_myshopify_domain_is_taken_as_the_shop(receiver):
    shops = st.one_of(
        header_text,
        st.from_regex(r"[a-z0-9-]{0,20}\.myshopify\.com", fullmatch=True),
        st.builds(lambda name, extra: name + extra, st.just(SHOP), header_text),
        st.builds(lambda extra, name: extra + name, header_text, st.just(SHOP)),
        st.sampled_from(["https://" + SHOP, SHOP.upper(), f" {SHOP} ", "[::1]", "a[", f"{SHOP}:443", "myshopify.com"]),
    )

    @throw(receiver, PLAN["shops"], shops)
    def _(shop: str) -> None:
        body = ORDER
        depth = receiver.depth()
        response = receiver.signed(body, shop=shop)
        if VALID_SHOP.fullmatch(shop.strip().lower()):
            assert response.status_code == 200
        else:
            assert response.status_code == 400
            assert ("myshopify.com" in response.json["error"]) or ("required" in response.json["error"])
        assert receiver.depth() == depth + (response.status_code == 200)


def test_any_topic_is_queued_when_handled_ignored_when_not_and_refused_when_empty(receiver):
    topics = st.one_of(
        header_text,
        st.sampled_from(sorted(JOB_FOR_TOPIC)),
        st.sampled_from(sorted(JOB_FOR_TOPIC)).map(lambda topic: f"  {topic.upper()} "),
    )

    @throw(receiver, PLAN["topics"], topics)
    def _(topic: str) -> None:
        wanted = topic.strip().lower()
        body = SAMPLE_FOR_TOPIC.get(wanted, ORDER)  # each topic's own shape
        depth = receiver.depth()
        response = receiver.signed(body, topic=topic)
        if not wanted:
            assert response.status_code == 400
        else:
            assert response.json == {"status": "queued" if wanted in JOB_FOR_TOPIC else "ignored"}
        assert receiver.depth() == depth + (response.status_code == 200 and wanted in JOB_FOR_TOPIC)


def test_the_suite_throws_at_least_ten_thousand_requests():
    assert sum(PLAN.values()) >= 10_000
