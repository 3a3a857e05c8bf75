"""Encoding speed: records per second for each export format, against pymarc's own writer.

The baseline is pymarc's ``Record.as_marc()`` (UTF-8 ISO 2709) over the same records in the
same run; each line prints records per second and the ratio to it (1.0 = as fast).

    python bench/encode.py [--rounds N] [--corpus PATH]

Records come from the MARC corpus (../shared/marc-corpus beside the checkout, or --corpus:
UTF-8 files with Latin, Greek, Cyrillic and CJK text) when it is there, otherwise from
records built here.
"""

from __future__ import annotations

import argparse
import copy
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pymarc import MARCReader, Record

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.marc.encode import encode_record  # noqa: E402
from tests.fixtures.marc_records import data_field, make_record  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "marc-corpus"
CORPUS_FILES = [
    "marc4j/brkrtest_UTF8.mrc",
    "derived/lc-authority-utf8.mrc",
    "marc4j/oclc_63111280_export_as_UTF8_from_connexion.mrc",
]


def load_records(corpus: Path) -> list[Record]:
    records: list[Record] = []
    for name in CORPUS_FILES:
        path = corpus / name
        if path.suffix == ".mrc" and path.exists():
            with path.open("rb") as handle:
                records.extend(r for r in MARCReader(handle) if r is not None)
    if records:
        return records
    return [
        make_record(
            f"Title {n} Café Война Ελληνικά 中文",
            control_number=f"ocm{n:08d}",
            extra=[data_field("500", "  ", "a", "A note with diacritics: Łódź, Việt Nam.")],
        )
        for n in range(200)
    ]


def rate(encode: Callable[[Record], object], records: list[Record], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for record in records:
            encode(record)
    return rounds * len(records) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    records = load_records(args.corpus)
    # as_marc() changes the leader it writes; give it its own copies.
    baseline_records = [copy.deepcopy(record) for record in records]
    baseline = rate(lambda record: record.as_marc(), baseline_records, args.rounds)
    print(f"{len(records)} records x {args.rounds} rounds")
    print(f"{'pymarc as_marc (baseline)':28} {baseline:10,.0f} records/s  1.00")
    cases = [
        ("marc", "utf8"),
        ("marc", "marc8"),
        ("marcxml", "utf8"),
        ("dc-rdf", "utf8"),
        ("dc-html", "utf8"),
    ]
    for fmt, charset in cases:
        encode = functools.partial(encode_record, fmt=fmt, charset=charset)
        speed = rate(encode, records, args.rounds)
        print(f"{fmt + ' ' + charset:28} {speed:10,.0f} records/s  {speed / baseline:.2f}")


if __name__ == "__main__":
    main()
