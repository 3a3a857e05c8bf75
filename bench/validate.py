#!/usr/bin/env python3
"""How much does validation at level full cost next to reading the same records with pymarc?

Validates every ISO 2709 record of ../shared/marc-corpus and 100,000 generated bibliographic
records at level full, and in the same run times pymarc parsing the same records
(``pymarc.Record(data=...)``, with decoding to Unicode, as the app reads a file). Prints records
per second for each and the ratio (parse + validate) / parse. Goal: at most 2.

    python bench/validate.py [--generated N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pymarc
from marc_samples import corpus_records, generated_records

from app.core.validation import validate_record
from app.core.validation.encoding import marc8_problem
from app.core.validation.tables import format_rules


def pymarc_parse(records: list[bytes]) -> int:
    failed = 0
    # pymarc prints about damaged records; its chatter goes nowhere, as it would in the app.
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet), redirect_stderr(quiet):
        for raw in records:
            try:
                pymarc.Record(data=raw, to_unicode=True, hide_utf8_warnings=True)
            except Exception:
                failed += 1
    return failed


def validate(records: list[bytes]) -> int:
    with_errors = 0
    for raw in records:
        if validate_record(raw, "full").has_errors:
            with_errors += 1
    return with_errors


def best_time(
    function: Callable[[list[bytes]], int], records: list[bytes], repeat: int
) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(records)
        best = min(best, time.perf_counter() - start)
    return best, result


def report(name: str, records: list[bytes], repeat: int) -> float:
    parse_time, failed = best_time(pymarc_parse, records, repeat)
    validate_time, with_errors = best_time(validate, records, repeat)
    count = len(records)
    ratio = (parse_time + validate_time) / parse_time
    print(f"{name}: {count:,} records")
    print(f"  pymarc parse      {count / parse_time:>10,.0f} records/s  ({failed:,} unreadable)")
    print(
        f"  validate (full)   {count / validate_time:>10,.0f} records/s  ({with_errors:,} faulty)"
    )
    print(f"  ratio (parse + validate) / parse = {ratio:.2f}   (goal: at most 2)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generated", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the best counts"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # pymarc warns about bad subfield codes in the corpus
    format_rules("bib")
    format_rules("auth")  # tables are loaded once per session, not per record: not timed
    marc8_problem(b"\x1b(N")  # the MARC-8 code tables likewise
    corpus = corpus_records()
    generated = generated_records(args.generated)
    ratios = [report("corpus (all ISO 2709 records)", corpus, args.repeat)]
    ratios.append(report("generated bibliographic records", generated, args.repeat))
    return 0 if all(r > 0 for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
