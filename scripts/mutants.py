"""The mutation run behind `scripts/mutants`: mutmut's mutants of each area, then the mutants mutmut cannot make,
applied by hand to a scratch copy; prints what was killed, what survived, and the score.

mutmut 3 mutates inside functions only, and skips functions with decorators: the module-level sets, the Flask view
and the dedup key's f-string are reached by the hand-made mutants below instead.

mutmut runs from `tuned_mutmut`, which changes three things of mutmut 3.8.1's fork server: a mutant runs only the
tests about its own code (`TESTS_BY_MODULE`: the unit tests for the domain core); a mutant's tests run fastest
first, as mutmut's plain fork runner does but its fork server does not; and the fork server imports the holidays
package's country modules and freezes its heap before forking, instead of each mutant's process importing them again
(2 s a mutant) and collecting garbage through the whole collected test suite after every test (1.5 s)."""

from __future__ import annotations

import argparse
import fnmatch
import gc
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

# Mutant names are module.x_function__mutmut_N (methods: module.xǁClassǁmethod__mutmut_N).
RECORDS = "worker.adapters.records"
AREAS: dict[str, list[str]] = {
    "clock": ["worker.domain.clock.*"],
    "domain": [
        f"worker.domain.{module}.*" for module in ("actions", "events", "ids", "late", "money", "policy", "split")
    ],
    "returns": ["worker.domain.returns.*"],
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
GREEDY = "worker.domain.split.search.x_greedy_locations__mutmut_"
STEP = "worker.domain.split.execution.x_next_step__mutmut_"
POLICY = "worker.domain.policy."
_SAME_HOLIDAYS = "loads holiday years again or more of them; the weekday holidays read are the same"
ENGINE = "worker.domain.returns.engine."
ORDER = "worker.domain.returns.order."
_DECLINED_PAY_NOTHING = "a declined line's resolution is 'none', so it is never among those paid back"
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
    **{
        f"worker.domain.ids.x_legacy_id__mutmut_{n}": "any maxsplit keeps the same last part and first part"
        for n in (5, 10, 14, 18)
    },
    "worker.domain.ids.x_legacy_id__mutmut_6": "split or rsplit at '?' differ only for a gid with two '?'",
    f"{GREEDY}16": "a variant already covered has deficit 0, and min(stock, 0) adds nothing to a gain",
    f"{GREEDY}44": "a covered variant's deficit going below 0 changes no gain (> 0 tests) and no loop end",
    "worker.domain.split.json_io.x__location__mutmut_21": "a location's country is validated but nothing reads it",
    **{
        f"worker.domain.split.json_io.x_plan_input_from_json__mutmut_{n}": "nothing to ship: no one reads the country"
        for n in (38, 39)
    },
    **{
        f"worker.domain.events.x_parse_time__mutmut_{n}": "Python 3.11's fromisoformat reads a final Z itself"
        for n in (9, 10)
    },
    **{
        f"worker.domain.late.x_judge__mutmut_{n}": "strict only refuses a caller passing too few states"
        for n in (6, 9, 10)
    },
    **{
        f"{STEP}{n}": "a surplus or a hold of 0 or less places no unit (min(..., 0) is skipped)"
        for n in (93, 94, 136, 137)
    },
    **{
        f"{STEP}{n}": "once no move is left, the spare units of each line are exactly those still to hold"
        for n in (130, 131)
    },
    f"{POLICY}x__parse_late__mutmut_32": "the house default escalate_after is 30, never 0",
    "worker.domain.money.x__exponent__mutmut_1": "without its cache the exponent is worked out again, the same",
    "worker.domain.money.x_shares__mutmut_4": "taking 0 shares sums nothing on the general path too",
    "worker.domain.money.x_shares__mutmut_10": "all shares from position 0 add up to the rounded total either way",
    f"{POLICY}x__parse_requirements__mutmut_3": "None is as false as False: the table stays optional",
    f"{POLICY}x__parse_requirements__mutmut_15": "None is as false as False: tags need not be attached",
    f"{ENGINE}x__amounts__mutmut_29": "at 100 % the shares are in the currency's unit already; rounding keeps them",
    f"{ENGINE}x__decide_line__mutmut_104": "explain reads any verdict but 'approved' and 'review' as declined",
    f"{ORDER}xǁOrderFactsǁline__mutmut_6": "an order without refunds has no units refunded: asking only costs time",
    f"{ENGINE}x__postage__mutmut_11": _DECLINED_PAY_NOTHING,
    f"{ENGINE}x__postage__mutmut_12": _DECLINED_PAY_NOTHING,
    f"{ENGINE}x__postage__mutmut_8": "with no line paid back, every figure the postage could come off is 0",
    f"{ENGINE}x__postage__mutmut_33": "every line id the order's quantities give is a line of the order",
    f"{ENGINE}x__reported_in_time__mutmut_15": "the policy parser requires deadline_hours of 1 or more with 'hours'",
    f"{ORDER}x__allocated__mutmut_3": "shipping lines come through _objects, which keeps only objects",
    f"{ORDER}x__application__mutmut_3": "an allocation that is not an object is refused for its amount first",
    f"{ENGINE}x__summarise__mutmut_9": _DECLINED_PAY_NOTHING,
    f"{ENGINE}x__summarise__mutmut_62": "_postage returns None itself when the policy keeps no postage",
    f"{ORDER}x__allocated__mutmut_11": "the allocations are not empty, and 0 plus Decimals is the same Decimal",
    f"{ORDER}xǁOrderLineǁunexplained_percent__mutmut_5": "no unexplained allocation: 0 or Decimal 0 is the same share",
    f"{ORDER}xǁOrderFactsǁrefunded_units__mutmut_24": "a refund of 0 units adds 0 to the units refunded",
    **{
        f"worker.domain.returns.request.x__parse_line__mutmut_{n}": "a fact is read only when given: required or not"
        for n in (40, 46)
    },
    "worker.domain.returns.request.x__parse_line__mutmut_92": "None is as false as False: the preference is optional",
    "worker.domain.returns.request.x__parse_line__mutmut_102": "a preference left out is read only as neither an "
    "exchange nor store credit, which 'REFUND' is too",
    f"{RECORDS}.xǁRecordsǁredact_shop__mutmut_9": "each table is visited once: its count set is its count added to 0",
    **{
        f"{RECORDS}.xǁRecordsǁredact_customer__mutmut_{n}": "the outbox and the exports hold no order column, so are "
        "counted once, after the tables by order: set or added to 0, the same count"
        for n in (78, 86)
    },
    f"{RECORDS}.xǁRecordsǁexport_customer__mutmut_48": "the returns table is one of the tables by order: its rows "
    "are always in the content, and the default is never read",
}


# The tests a mutant may run, by the module it is in. The domain core is pure: its unit tests reach it in
# milliseconds. The receiver's and the privacy tests reach it too, and the privacy tests reach the receiver, at a
# second or more a test (a database each); they run only for the code they are about. A receiver mutant runs the
# tests of the receiver, of its queue intake and of how its answers are counted.
RECEIVER_TESTS = (
    "tests/unit/",
    "tests/integration/test_receiver.py",
    "tests/integration/test_intake.py",
    "tests/integration/test_metrics.py::test_each_answer_is_counted_by_topic_and_outcome",
)
TESTS_BY_MODULE = {"worker.domain.": ("tests/unit/",), "webhooks.": RECEIVER_TESTS, "queueing.": RECEIVER_TESTS}
# Imported by tests on first use and by none of our code at import: loaded once in the fork server.
PRELOAD = ("holidays.countries", "flask", "psycopg", "sqlite3")


@dataclass(frozen=True)
class HandMutant:
    area: str
    name: str
    path: str
    original: str
    mutated: str
    tests: tuple[str, ...]


HAND_MUTANTS = (
    HandMutant(
        "receiver",
        "the dedup key without the topic",
        "queueing/keys.py",
        'f"{SEEN_PREFIX}{self.shop}:{self.topic}:{self.event_id}"',
        'f"{SEEN_PREFIX}{self.shop}:{self.event_id}"',
        ("tests/integration/test_receiver.py", "-k", "two_topics"),
    ),
    HandMutant(
        "receiver",
        "the dedup key without the shop",
        "queueing/keys.py",
        'f"{SEEN_PREFIX}{self.shop}:{self.topic}:{self.event_id}"',
        'f"{SEEN_PREFIX}{self.topic}:{self.event_id}"',
        ("tests/integration/test_receiver.py", "-k", "two_shops"),
    ),
    HandMutant(
        "receiver",
        "the receiver takes the webhook id before Shopify's event id",
        "webhooks/receiver.py",
        "delivery.event_id or delivery.webhook_id",
        "delivery.webhook_id or delivery.event_id",
        ("tests/integration/test_receiver.py", "-k", "duplicate or webhook_id or two_"),
    ),
    HandMutant(
        "receiver",
        "the receiver skips the allowed-shops check",
        "webhooks/receiver.py",
        "if settings.allowed_shops and shop not in settings.allowed_shops:",
        "if False:",
        ("tests/integration/test_receiver.py", "-k", "allowed"),
    ),
    HandMutant(
        "receiver",
        "the receiver verifies nothing",
        "webhooks/receiver.py",
        'if not is_authentic(body, request.headers.get("X-Shopify-Hmac-Sha256"), settings.api_secrets):',
        "if False:",
        ("tests/integration/test_receiver.py",),
    ),
    HandMutant(
        "redaction",
        "the shipment status moves back in time",
        "worker/adapters/records.py",
        "update(fulfillments).where(key, newer)",
        "update(fulfillments).where(key)",
        ("tests/integration/test_pipeline.py", "-k", "out_of_order and sqlite"),
    ),
    HandMutant(
        "redaction",
        "phone is not a personal key",
        "worker/adapters/records.py",
        '        "phone",\n',
        "",
        ("tests/integration/test_privacy.py", "-k", "any_row and sqlite"),
    ),
    HandMutant(
        "redaction",
        "line-item properties are not personal",
        "worker/adapters/records.py",
        '        "properties",',
        "",
        ("tests/integration/test_privacy.py", "-k", "any_row and sqlite"),
    ),
    HandMutant(
        "redaction",
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


def run_mutmut(every: dict[str, int], again: str | None) -> None:
    """A fresh copy of the tree unless resuming: mutmut keeps files it copied before, even once they changed. The
    tests are never mutated, so a resumed run takes them as they are now: survivors meet the tests added since."""
    if again is None:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    elif (ROOT / "mutants").is_dir():
        shutil.copytree(ROOT / "tests", ROOT / "mutants" / "tests", dirs_exist_ok=True)
    command = [str(PYTHON), __file__, "--tuned-mutmut", again or "all", json.dumps(every)]
    subprocess.run(command, cwd=ROOT, check=True)


def tuned_mutmut(again: str, every: dict[str, int]) -> None:
    """`mutmut run` over the areas' mutants (all of them, those not run yet, or those and the survivors; of those not
    run yet one in `every[area]`, by name), with the changes the module's docstring gives. mutmut's clean run before
    the mutants is of their tests only."""
    import mutmut.__main__ as mutmut_main
    from mutmut.runners.harness import PytestRunner
    from mutmut.state import state
    from mutmut.stats import status_by_exit_code

    collect_stats = mutmut_main.collect_or_load_stats

    def stats_with_tests_by_module(*args: object, **kwargs: object) -> None:
        collect_stats(*args, **kwargs)
        for function, tests in state().tests_by_mangled_function_name.items():
            for module, allowed in TESTS_BY_MODULE.items():
                if function.startswith(module):
                    tests.intersection_update({test for test in tests if test.startswith(allowed)})

    collect_mutants = mutmut_main.collect_source_file_mutation_data
    selected: list[str] = []

    def mutants_to_test(*, mutant_names: list[str]) -> tuple[list[Any], dict[str, Any]]:
        mutants, by_path = collect_mutants(mutant_names=mutant_names)
        fresh = [
            mutant
            for area, step in every.items()
            for mutant in sorted(
                (m for m in mutants if in_area(m[1], area) and (again == "all" or m[2] is None)), key=lambda m: m[1]
            )[::step]
        ]
        again_too = [
            mutant
            for mutant in mutants
            if again == "survivors"
            and status_by_exit_code[mutant[2]] in ("survived", "no tests")
            and mutant[1] not in EQUIVALENT
        ]
        chosen = fresh + again_too
        if not chosen:
            raise SystemExit("nothing to test")
        selected[:] = [name for _, name, _ in chosen]
        return chosen, by_path

    tests_for = mutmut_main.tests_for_mutant_names
    run_tests = PytestRunner.run_tests

    def fastest_first(self: PytestRunner, *, mutant_name: str | None, tests: Iterable[str]) -> int:
        durations = state().duration_by_test
        return run_tests(self, mutant_name=mutant_name, tests=sorted(tests, key=lambda test: durations.get(test, 0.0)))

    warm_up = PytestRunner.warm_up

    def warm_up_then_freeze(self: PytestRunner) -> None:
        warm_up(self)
        for module in PRELOAD:
            importlib.import_module(module)
        gc.freeze()

    mutmut_main.collect_or_load_stats = stats_with_tests_by_module
    mutmut_main.collect_source_file_mutation_data = mutants_to_test
    mutmut_main.tests_for_mutant_names = lambda _names: tests_for(selected)
    PytestRunner.run_tests = fastest_first
    PytestRunner.warm_up = warm_up_then_freeze
    patterns = [pattern for area in every for pattern in AREAS[area]]
    mutmut_main.run.main(["--max-children", "2", *patterns], standalone_mode=True)


def run_by_hand(areas: list[str]) -> list[tuple[HandMutant, bool]]:
    """Each hand-made mutant of the areas in a scratch copy of the tree (the checkout is never touched): killed when
    its tests fail, as they must not fail without it."""
    scratch = ROOT / "var" / "mutants-by-hand"
    shutil.rmtree(scratch, ignore_errors=True)
    mutants = [mutant for mutant in HAND_MUTANTS if mutant.area in areas]
    if not mutants:
        return []
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

    clean = run_tests(*sorted({mutant.tests[0] for mutant in mutants}))
    if clean.returncode != 0:
        raise SystemExit(f"error: the hand-made mutants' tests fail without them:\n{clean.stdout[-2000:]}")
    outcomes = []
    for mutant in mutants:
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
        score = 100 * len(killed) / counted if counted else 0.0
        print(
            f"{area}: {len(names)} mutants, {len(killed)} killed, {len(equivalent)} equivalent, "
            f"{len(survivors)} survived: {score:.1f} %" + (f" ({unchecked} not run)" if unchecked else "")
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
    parser.add_argument(
        "areas",
        nargs="*",
        help=f"areas to mutate: {', '.join(AREAS)} (default: all); AREA/N tests one in N of its mutants not run yet",
    )
    parser.add_argument("--report-only", action="store_true", help="print the last run's results again")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="keep mutants/ and test only what is not done yet")
    again.add_argument("--survivors", action="store_true", help="keep mutants/ and test again what survived")
    parser.add_argument("--by-hand-only", action="store_true", help="only the mutants mutmut cannot make")
    if sys.argv[1:2] == ["--tuned-mutmut"]:
        tuned_mutmut(sys.argv[2], json.loads(sys.argv[3]))
        return
    args = parser.parse_args()
    every: dict[str, int] = {}
    for spec in args.areas or list(AREAS):
        area, _, step = spec.partition("/")
        if area not in AREAS or not (step or "1").isdigit() or int(step or "1") < 1:
            parser.error(f"unknown area {spec}; the areas are {', '.join(AREAS)}, each optionally /N (N >= 1)")
        every[area] = int(step or "1")
    areas = list(every)
    if args.by_hand_only:
        report([], run_by_hand(areas))
        return
    if not args.report_only:
        run_mutmut(every, "resume" if args.resume else "survivors" if args.survivors else None)
    report(areas, [] if args.report_only else run_by_hand(areas))


if __name__ == "__main__":
    main()
