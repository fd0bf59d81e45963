"""Split planner: planning time on 15 locations x 40 lines, checked against a MILP and a per-line router.

Run: .venv/bin/python -m bench.split [--orders N] [--seed S]
Prints p50/p99 planning time, how often the plan is proven optimal, agreement with scipy's MILP (HiGHS) on
units shipped, packages, latest delivery and units moved, the speed ratio, and the packages saved against a
router that sends each line from its highest-priority location with stock.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from worker.domain.split import Location, OrderLine, SplitInput, plan_split, priority_first_packages

COUNTRIES = ["US", "US", "US", "CN", "CN", "FR", "DE", "GB", "NL", "PL", "ES", "IT", "CA", "AU", "MX"]
REGION = {"US": "am", "CA": "am", "MX": "am", "CN": "as", "AU": "as"}
DESTINATIONS = ["US", "FR", "DE", "GB", "CA"]
COVERAGE = [0.85] * 3 + [0.4] * 4 + [0.15] * 8


def random_order(rng: random.Random, n_locations: int = 15, n_lines: int = 40) -> SplitInput:
    """A merchant with three big warehouses, four regional ones and small stores; one may not ship."""
    destination = rng.choice(DESTINATIONS)
    priorities = rng.sample(range(1, n_locations + 1), n_locations)
    locations = []
    for index in range(n_locations):
        country = COUNTRIES[index % len(COUNTRIES)]
        transit = {}
        for target in DESTINATIONS:
            if target == country:
                transit[target] = rng.randint(2, 5)
            elif REGION.get(target, "eu") == REGION.get(country, "eu"):
                transit[target] = rng.randint(4, 9)
            elif rng.random() < 0.8:
                transit[target] = rng.randint(8, 20)
        transit["*"] = rng.randint(15, 25)
        locations.append(
            Location(
                id=f"gid://shopify/Location/{index + 1}",
                name=f"{country}-{index + 1}",
                country=country,
                priority=priorities[index],
                processing_days=rng.randint(0, 3),
                transit_days=transit,
                ships=index != 14 or rng.random() < 0.5,
            )
        )
    catalog = rng.sample(range(10_000, 99_999), 35)
    lines = tuple(
        OrderLine(
            line_item_id=1_000 + number,
            variant_id=rng.choice(catalog),
            quantity=rng.choices([1, 2, 3, 4, 5], weights=[70, 20, 5, 3, 2])[0],
            requires_shipping=rng.random() > 0.05,
        )
        for number in range(n_lines)
    )
    available: dict[int, dict[str, int]] = {}
    for variant_id in catalog:
        if rng.random() < 0.05:
            continue
        available[variant_id] = {
            location.id: rng.randint(0, 20)
            for location, coverage in zip(locations, COVERAGE, strict=True)
            if rng.random() < coverage
        }
    by_priority = sorted(locations, key=lambda location: location.priority)
    assigned = {}
    for line in lines:
        stock = available.get(line.variant_id or 0, {})
        home = next((location for location in by_priority if stock.get(location.id)), by_priority[0])
        assigned[line.line_item_id] = {home.id: line.quantity}
    return SplitInput(lines, tuple(locations), available, destination, assigned)


def plan_figures(plan_input: SplitInput) -> tuple[int, int, int, int]:
    plan = plan_split(plan_input)
    units = sum(line.quantity for shipment in plan.shipments for line in shipment.lines)
    return units, plan.packages, plan.estimated_delivery_days or 0, plan.units_moved


def milp_figures(plan_input: SplitInput) -> tuple[int, int, int, int]:
    """The same lexicographic objective as one weighted MILP: units, packages, latest delivery, units moved."""
    country = plan_input.destination_country
    places = [
        location for location in plan_input.locations if location.ships and location.delivery_days(country) is not None
    ]
    days = [location.delivery_days(country) or 0 for location in places]
    lines = [line for line in plan_input.lines if line.requires_shipping and line.quantity and line.variant_id]
    pairs = [
        (i, j)
        for i, line in enumerate(lines)
        for j, place in enumerate(places)
        if plan_input.available.get(line.variant_id or 0, {}).get(place.id, 0) > 0
    ]
    kept = [
        (p, plan_input.assigned.get(lines[i].line_item_id, {}).get(places[j].id, 0)) for p, (i, j) in enumerate(pairs)
    ]
    kept = [(p, cap) for p, cap in kept if cap > 0]
    n_x, n_y, n_k = len(pairs), len(places), len(kept)
    y0, t_index, k0 = n_x, n_x + n_y, n_x + n_y + 1
    size = k0 + n_k
    total_units = sum(line.quantity for line in lines)
    w_moved = 1.0
    w_days = total_units + 1.0
    w_packages = w_days * (max(days, default=0) + 1)
    w_units = w_packages * (len(places) + 1)
    cost = np.zeros(size)
    cost[:n_x] = -w_units + w_moved
    cost[y0:t_index] = w_packages
    cost[t_index] = w_days
    cost[k0:] = -w_moved
    rows: list[dict[int, float]] = []
    lower: list[float] = []
    upper: list[float] = []
    matrix = lil_matrix((len(lines) + len(pairs) * 2 + n_y + n_k + len(pairs), size))

    def row(entries: dict[int, float], low: float, high: float) -> None:
        for column, value in entries.items():
            matrix[len(rows), column] = value
        rows.append(entries)
        lower.append(low)
        upper.append(high)

    for i, line in enumerate(lines):
        row({p: 1.0 for p, (li, _) in enumerate(pairs) if li == i}, 0, line.quantity)
    for j, place in enumerate(places):
        by_variant: dict[int, list[int]] = {}
        for p, (i, pj) in enumerate(pairs):
            if pj == j:
                by_variant.setdefault(lines[i].variant_id or 0, []).append(p)
        for variant_id, members in by_variant.items():
            row(dict.fromkeys(members, 1.0), 0, plan_input.available[variant_id][place.id])
        row({y0 + j: -float(days[j]), t_index: 1.0}, 0, np.inf)
    for p, (i, j) in enumerate(pairs):
        big = min(lines[i].quantity, plan_input.available[lines[i].variant_id or 0][places[j].id])
        row({p: 1.0, y0 + j: -float(big)}, -np.inf, 0)
    for offset, (p, _) in enumerate(kept):
        row({k0 + offset: 1.0, p: -1.0}, -np.inf, 0)
    matrix = matrix[: len(rows)].tocsr()
    upper_bounds = np.full(size, np.inf)
    upper_bounds[y0:t_index] = 1
    for offset, (_, cap) in enumerate(kept):
        upper_bounds[k0 + offset] = cap
    integrality = np.zeros(size)
    integrality[:t_index] = 1
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, lower, upper),
        integrality=integrality,
        bounds=Bounds(np.zeros(size), upper_bounds),
        options={"mip_rel_gap": 0},
    )
    assert result.success, result.message
    x = np.round(result.x)
    units = int(x[:n_x].sum())
    used = [j for j in range(n_y) if any(x[p] > 0 for p, (_, pj) in enumerate(pairs) if pj == j)]
    moved = units - int(round(sum(result.x[k0:])))
    return units, len(used), max((days[j] for j in used), default=0), moved


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--coverage", type=float, help="every location stocks this share of the catalog instead")
    args = parser.parse_args()
    if args.coverage is not None:
        COVERAGE[:] = [args.coverage] * len(COVERAGE)
    rng = random.Random(args.seed)
    orders = [random_order(rng) for _ in range(args.orders)]
    plan_split(orders[0])

    planner_ms, milp_ms, saved, agree, optimal = [], [], [], 0, 0
    for plan_input in orders:
        started = time.perf_counter()
        plan = plan_split(plan_input)
        planner_ms.append((time.perf_counter() - started) * 1000)
        optimal += plan.optimal
        started = time.perf_counter()
        reference = milp_figures(plan_input)
        milp_ms.append((time.perf_counter() - started) * 1000)
        ours = plan_figures(plan_input)
        if ours == reference:
            agree += 1
        else:
            print(f"disagreement: planner {ours} vs MILP {reference} (units, packages, latest days, moved)")
        saved.append(priority_first_packages(plan_input) - plan.packages)

    stocking = "3 big, 4 regional, 8 small" if args.coverage is None else f"each {args.coverage:.0%} of the catalog"
    print(f"orders: {len(orders)} random, 15 locations ({stocking}) x 40 lines, seed {args.seed}")
    print(
        f"planner: p50 {percentile(planner_ms, 0.5):.2f} ms, p99 {percentile(planner_ms, 0.99):.2f} ms, "
        f"max {max(planner_ms):.2f} ms; proven optimal {optimal}/{len(orders)}"
    )
    print(f"MILP (scipy HiGHS): p50 {percentile(milp_ms, 0.5):.2f} ms, p99 {percentile(milp_ms, 0.99):.2f} ms")
    print(
        f"speed ratio MILP/planner: {statistics.median(milp_ms) / statistics.median(planner_ms):.1f}x at p50, "
        f"{percentile(milp_ms, 0.99) / percentile(planner_ms, 0.99):.1f}x at p99"
    )
    print(f"objective agreement with MILP (units, packages, latest delivery, units moved): {agree}/{len(orders)}")
    print(
        f"packages saved against per-line priority routing: {sum(saved)} in total, "
        f"mean {statistics.mean(saved):.2f} per order, {sum(1 for s in saved if s > 0)}/{len(orders)} orders "
        f"improved, {sum(1 for s in saved if s < 0)} worse"
    )


if __name__ == "__main__":
    main()
