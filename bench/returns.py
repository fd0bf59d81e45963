"""Return evaluations per CPU second of a 10-line order on one core, against re-reading the policy file each time.

The request and product facts are decoded once, as the worker does when a job starts; a second figure
re-checks them on every call too.

Run: .venv/bin/python -m bench.returns [--store starlightes] [--seconds 2]
"""

from __future__ import annotations

import argparse
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from config.policies import POLICY_DIR, load_policy, policy_version
from worker.domain.policy import parse_policy
from worker.domain.returns import evaluate_return, parse_products, parse_request

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
REASONS = ["size_too_small", "color", "defective", "unwanted", "style"]


def ten_line_case() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A mixed order: discounts, sale and custom tags, defects, partial packaging, and unknown facts."""
    order: dict[str, Any] = {"currency": "USD", "line_items": [], "shipping_lines": [{"price": "9.90"}]}
    lines, products = [], {}
    for i in range(10):
        order["line_items"].append(
            {
                "id": 1000 + i,
                "product_id": 500 + i,
                "price": f"{19 + i}.99",
                "quantity": 1 + i % 3,
                "discount_allocations": [{"amount": f"{i}.50"}] if i % 2 else [],
            }
        )
        products[str(500 + i)] = {"product_type": ["Kitchen", "Bags"][i % 2], "tags": ["clearance"] if i == 3 else []}
        lines.append(
            {
                "line_item_id": 1000 + i,
                "quantity": 1,
                "reason": REASONS[i % 5],
                "condition": "unused",
                "packaging": ["original", "minor_damage"][i % 2],
                "tags_attached": True,
                "missing_accessories": "none",
                "photos": True,
                "preferred_resolution": ["refund", "exchange"][i % 2],
            }
            if i != 9
            else {"line_item_id": 1009, "quantity": 1, "reason": "unknown"}
        )
    request = {"requested_at": "2026-03-10T12:00:00Z", "delivered_at": "2026-03-01T12:00:00Z", "lines": lines}
    return order, request, products


def rate(evaluate: Callable[[], object], seconds: float) -> float:
    """Evaluations per second of the CPU time this process got, so that other work on the machine does not count
    as ours; the best of short rounds, as timeit takes the best of its repeats."""
    best, started = 0.0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        round_started = time.process_time()
        for _ in range(200):
            evaluate()
        best = max(best, 200 / (time.process_time() - round_started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default="starlightes")
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    order, request_json, products_json = ten_line_case()
    path = POLICY_DIR / f"{args.store}.toml"

    policy = load_policy(args.store)
    request, products = parse_request(request_json), parse_products(products_json)

    def compiled() -> object:
        return evaluate_return(policy, order, request, products, NOW)

    def compiled_with_input_parsing() -> object:
        return evaluate_return(policy, order, parse_request(request_json), parse_products(products_json), NOW)

    def naive() -> object:
        content = path.read_bytes()
        reparsed = parse_policy(args.store, tomllib.loads(content.decode()), policy_version(content))
        return evaluate_return(reparsed, order, request, products, NOW)

    fast, with_parsing, slow = (rate(f, args.seconds) for f in (compiled, compiled_with_input_parsing, naive))
    print(f"store: {args.store}, one 10-line order (order JSON read on every call), per CPU second of one core")
    print(f"compiled policy:                          {fast:>9,.0f} evaluations/s")
    print(f"compiled policy, request JSON re-checked: {with_parsing:>9,.0f} evaluations/s")
    print(f"baseline, policy TOML re-read per call:   {slow:>9,.0f} evaluations/s")
    print(f"ratio compiled / baseline:                {fast / slow:>9.1f}x")


if __name__ == "__main__":
    main()
