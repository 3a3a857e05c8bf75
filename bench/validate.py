#!/usr/bin/env python3
"""How much does reading and validating at level full cost next to reading the same records
with pymarc?

Validates every ISO 2709 record of ../shared/marc-corpus and 100,000 generated bibliographic
records at level full, and in the same run times pymarc parsing the same records by its fast
path (``pymarc.Record(data=..., to_unicode=False)``: structure only, no decoding, the
strongest baseline; pymarc's Unicode decoding runs a slow pure-Python MARC-8 decoder that
ExportDesk does not need). ExportDesk's side is what ``exportdesk validate`` does per record:
its reader's parse (app.core.marc.parse_record) and validate_record handed that parse, so each
record is parsed once. The two take turns --repeat times; each figure is the median (the
machine may be shared). Prints records per second and the ratio ExportDesk / pymarc.
Goal: at most 2.

    python bench/validate.py [--generated N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
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

from app.core.marc import StructureError, parse_record
from app.core.validation import validate_record
from app.core.validation.encoding import marc8_problem
from app.core.validation.tables import format_rules


def pymarc_parse(records: list[bytes]) -> int:
    failed = 0
    # pymarc prints about damaged records; its chatter goes nowhere, as it would in the app.
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet), redirect_stderr(quiet):
        for raw in records:
            try:
                pymarc.Record(data=raw, to_unicode=False)
            except Exception:
                failed += 1
    return failed


def read_and_validate(records: list[bytes]) -> int:
    with_errors = 0
    for raw in records:
        try:
            parsed = parse_record(raw)
        except StructureError:
            with_errors += 1  # the reader reports it: not a record to validate
            continue
        if validate_record(raw, "full", parsed=parsed).has_errors:
            with_errors += 1
    return with_errors


def median_times(
    functions: list[Callable[[list[bytes]], int]], records: list[bytes], repeat: int
) -> list[tuple[float, int]]:
    """Each function's median time over ``repeat`` turns, the order alternating."""
    times: list[list[float]] = [[] for _ in functions]
    results = [0] * len(functions)
    for turn in range(repeat):
        order = list(range(len(functions)))
        if turn % 2:
            order.reverse()
        for index in order:
            start = time.perf_counter()
            results[index] = functions[index](records)
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def report(name: str, records: list[bytes], repeat: int) -> float:
    (parse_time, failed), (ours_time, with_errors) = median_times(
        [pymarc_parse, read_and_validate], records, repeat
    )
    count = len(records)
    ratio = ours_time / parse_time
    print(f"{name}: {count:,} records (median of {repeat} turns each)")
    print(
        f"  pymarc parse (to_unicode=False)   {count / parse_time:>10,.0f} records/s"
        f"  ({failed:,} unreadable)"
    )
    print(
        f"  ExportDesk read + validate (full) {count / ours_time:>10,.0f} records/s"
        f"  ({with_errors:,} faulty)"
    )
    print(f"  ratio ExportDesk / pymarc parse = {ratio:.2f}   (goal: at most 2)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generated", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="turns per measurement; the median counts"
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
