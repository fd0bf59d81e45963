"""The mutation run behind `scripts/mutants`: mutmut's mutants of each area, then the mutants mutmut cannot make,
applied by hand to a scratch copy; prints what was killed, what survived, and the score.

mutmut 3 mutates inside functions only, and skips functions with decorators: the module-level sets, the Flask view
and the dedup key's f-string are reached by the hand-made mutants below instead."""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

# Mutant names are module.x_function__mutmut_N (methods: module.xǁClassǁmethod__mutmut_N).
RECORDS = "worker.adapters.records"
AREAS: dict[str, list[str]] = {
    "domain": ["worker.domain.*"],
    "receiver": ["webhooks.verify.*", "webhooks.receiver.*", "queueing.keys.*", "queueing.intake.*"],
    "redaction": [
        f"{RECORDS}.x_scrub_personal_data__*",
        f"{RECORDS}.xǁRecordsǁ*redact*",
        f"{RECORDS}.xǁRecordsǁ_customer_orders__*",
        f"{RECORDS}.xǁRecordsǁexport_customer__*",
        "worker.services.privacy.*",
    ],
}

# Survivors judged equivalent: no input tells them from the original. Each says why; names are checked against
# `mutmut show NAME` before each release, as a code change renumbers a function's mutants.
CLOCK = "worker.domain.clock.xǁBusinessCalendarǁ"
_SAME_HOLIDAYS = "loads holiday years again or more of them; the weekday holidays read are the same"
EQUIVALENT: dict[str, str] = {
    f"{CLOCK}__init____mutmut_21": "the empty coverage's holiday list is never read (first 1 > last 0)",
    f"{CLOCK}__init____mutmut_25": "first 2 > last 0 is as empty a coverage as first 1 > last 0",
    f"{CLOCK}__init____mutmut_26": "a coverage of ordinal 1 adds years 1.. to the first load: slower, same",
    f"{CLOCK}elapsed_between__mutmut_2": "with last == first both branches count 0 days",
    f"{CLOCK}_first_day_reaching__mutmut_28": "a day on the coverage's first edge loads once more, same day",
    f"{CLOCK}_first_day_reaching__mutmut_29": "a day on the coverage's last edge loads once more, same day",
    f"{CLOCK}_covering__mutmut_3": _SAME_HOLIDAYS,
    f"{CLOCK}_covering__mutmut_4": _SAME_HOLIDAYS,
    f"{CLOCK}_covering__mutmut_8": _SAME_HOLIDAYS,
    f"{CLOCK}_covering__mutmut_11": _SAME_HOLIDAYS,
    f"{CLOCK}_covering__mutmut_12": "a coverage is empty (first > last) or whole years, never first == last",
    f"{CLOCK}_covering__mutmut_37": "years before `low` are loaded, then filtered out by `low <= day.year`",
    f"{CLOCK}_covering__mutmut_40": "the year after `high` is loaded, then filtered out by `day.year <= high`",
    f"{CLOCK}_covering__mutmut_61": "a coverage claimed from 1 February reloads sooner; same holidays",
    f"{CLOCK}_covering__mutmut_62": "a coverage claimed from 2 January reloads sooner; same holidays",
    "worker.domain.clock.x_classify__mutmut_19": "elapsed_between counts business days for any kind but 'calendar'",
    "worker.domain.clock.x_classify__mutmut_23": "elapsed_between counts business days for any kind but 'calendar'",
    "worker.domain.clock.x_classify__mutmut_24": "elapsed_between counts business days for any kind but 'calendar'",
}


@dataclass(frozen=True)
class HandMutant:
    name: str
    path: str
    original: str
    mutated: str
    tests: tuple[str, ...]


HAND_MUTANTS = (
    HandMutant(
        "the dedup key without the topic",
        "queueing/keys.py",
        'f"shopworker:seen:{self.shop}:{self.topic}:{self.event_id}"',
        'f"shopworker:seen:{self.shop}:{self.event_id}"',
        ("tests/integration/test_receiver.py", "-k", "two_topics"),
    ),
    HandMutant(
        "the dedup key without the shop",
        "queueing/keys.py",
        'f"shopworker:seen:{self.shop}:{self.topic}:{self.event_id}"',
        'f"shopworker:seen:{self.topic}:{self.event_id}"',
        ("tests/integration/test_receiver.py", "-k", "two_shops"),
    ),
    HandMutant(
        "the receiver takes the webhook id before Shopify's event id",
        "webhooks/receiver.py",
        'headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")',
        'headers.get("X-Shopify-Webhook-Id") or headers.get("X-Shopify-Event-Id")',
        ("tests/integration/test_receiver.py", "-k", "duplicate or webhook_id or two_"),
    ),
    HandMutant(
        "the receiver skips the allowed-shops check",
        "webhooks/receiver.py",
        "if settings.allowed_shops and shop not in settings.allowed_shops:",
        "if False:",
        ("tests/integration/test_receiver.py", "-k", "allowed"),
    ),
    HandMutant(
        "the receiver verifies nothing",
        "webhooks/receiver.py",
        'if not is_authentic(body, request.headers.get("X-Shopify-Hmac-Sha256"), settings.api_secrets):',
        "if False:",
        ("tests/integration/test_receiver.py",),
    ),
    HandMutant(
        "the shipment status moves back in time",
        "worker/adapters/records.py",
        "update(fulfillments).where(key, newer)",
        "update(fulfillments).where(key)",
        ("tests/integration/test_pipeline.py", "-k", "out_of_order and sqlite"),
    ),
    HandMutant(
        "phone is not a personal key",
        "worker/adapters/records.py",
        '        "phone",\n',
        "",
        ("tests/integration/test_privacy.py", "-k", "any_row and sqlite"),
    ),
    HandMutant(
        "line-item properties are not personal",
        "worker/adapters/records.py",
        '        "properties",',
        "",
        ("tests/integration/test_privacy.py", "-k", "any_row and sqlite"),
    ),
    HandMutant(
        "a shipping address keeps its street",
        "worker/adapters/records.py",
        'KEPT_ADDRESS_KEYS = frozenset({"country_code", "province_code", "country"})',
        'KEPT_ADDRESS_KEYS = frozenset({"country_code", "province_code", "country", "address1"})',
        ("tests/integration/test_privacy.py", "-k", "any_row and sqlite"),
    ),
)


def mutant_results() -> dict[str, str]:
    """Every mutant's status from mutmut's records beside the mutated files."""
    sys.path.insert(0, str(ROOT))
    from mutmut.stats import status_by_exit_code

    statuses = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            statuses[name] = status_by_exit_code[code]
    return statuses


def in_area(name: str, area: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in AREAS[area])


def run_mutmut(areas: list[str], resume: bool) -> None:
    """A fresh copy of the tree unless resuming: mutmut keeps files it copied before, even once they changed."""
    if not resume:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    patterns = [pattern for area in areas for pattern in AREAS[area]]
    subprocess.run([str(ROOT / ".venv/bin/mutmut"), "run", "--max-children", "2", *patterns], cwd=ROOT, check=True)


def run_by_hand() -> list[tuple[HandMutant, bool]]:
    """Each hand-made mutant in a scratch copy of the tree (the checkout is never touched): killed when its tests
    fail, as they must not fail without it."""
    scratch = ROOT / "var" / "mutants-by-hand"
    shutil.rmtree(scratch, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, scratch / name)

    def run_tests(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PYTHON), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args],
            cwd=scratch,
            capture_output=True,
            text=True,
        )

    clean = run_tests(*sorted({mutant.tests[0] for mutant in HAND_MUTANTS}))
    if clean.returncode != 0:
        raise SystemExit(f"error: the hand-made mutants' tests fail without them:\n{clean.stdout[-2000:]}")
    outcomes = []
    for mutant in HAND_MUTANTS:
        target = scratch / mutant.path
        source = target.read_text()
        if source.count(mutant.original) != 1:
            raise SystemExit(f"error: {mutant.path} no longer holds {mutant.original!r} once; update {__file__}")
        target.write_text(source.replace(mutant.original, mutant.mutated))
        try:
            tests = run_tests(*mutant.tests)
        finally:
            target.write_text(source)
        if tests.returncode not in (0, 1):
            raise SystemExit(f"error: the tests of {mutant.name!r} did not run:\n{tests.stdout[-2000:]}")
        outcomes.append((mutant, tests.returncode == 1))
    shutil.rmtree(scratch, ignore_errors=True)
    return outcomes


def report(areas: list[str], by_hand: list[tuple[HandMutant, bool]]) -> None:
    statuses = mutant_results()
    killed_total = counted_total = 0
    for area in areas:
        names = sorted(name for name in statuses if in_area(name, area) and statuses[name] != "not checked")
        unchecked = sum(1 for name in statuses if in_area(name, area) and statuses[name] == "not checked")
        killed = [n for n in names if statuses[n] in ("killed", "timeout", "caught by type check")]
        equivalent = [n for n in names if n in EQUIVALENT and n not in killed]
        survivors = [n for n in names if n not in killed and n not in equivalent]
        counted = len(names) - len(equivalent)
        print(
            f"{area}: {len(killed)} of {counted} killed ({len(equivalent)} equivalent left out"
            + (f", {unchecked} not run)" if unchecked else ")")
        )
        for name in survivors:
            print(f"  {statuses[name]}: {name}")
        killed_total += len(killed)
        counted_total += counted
    for mutant, killed in by_hand:
        print(f"by hand: {'killed' if killed else 'SURVIVED'}: {mutant.name}")
    killed_total += sum(killed for _, killed in by_hand)
    counted_total += len(by_hand)
    score = 100 * killed_total / counted_total if counted_total else 0.0
    print(f"score: {score:.1f} % ({killed_total} of {counted_total} non-equivalent mutants killed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help=f"areas to mutate: {', '.join(AREAS)} (default: all)")
    parser.add_argument("--report-only", action="store_true", help="print the last run's results again")
    parser.add_argument("--resume", action="store_true", help="keep mutants/ and test only what is not done yet")
    parser.add_argument("--by-hand-only", action="store_true", help="only the mutants mutmut cannot make")
    args = parser.parse_args()
    areas = args.areas or list(AREAS)
    unknown = sorted(set(areas) - set(AREAS))
    if unknown:
        parser.error(f"unknown area {', '.join(unknown)}; the areas are {', '.join(AREAS)}")
    if args.by_hand_only:
        report([], run_by_hand())
        return
    if not args.report_only:
        run_mutmut(areas, args.resume)
    report(areas, [] if args.report_only else run_by_hand())


if __name__ == "__main__":
    main()
