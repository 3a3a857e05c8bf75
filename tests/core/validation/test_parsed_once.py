"""Validating with the reader's parse (one parse per record) gives exactly what validating the
bytes alone gives: over every record of the corpus, at every level and record type, and for
records damaged on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.marc import RecordRead, read_records
from app.core.marc.iso2709 import build_record, parse_record
from app.core.marc.record import Field, StructureError
from app.core.validation import LEVELS, RECORD_TYPES, validate_record

SUFFIXES = (".mrc", ".dat", ".marc", ".usmarc", ".xml", ".mrk")


def corpus_reads(corpus: Path) -> list[RecordRead]:
    reads: list[RecordRead] = []
    for path in sorted(p for p in corpus.rglob("*") if p.suffix in SUFFIXES):
        reads.extend(item for item in read_records(path) if isinstance(item, RecordRead))
    return reads


def same(raw: bytes, level: str, record_type: str) -> None:
    try:
        parsed = parse_record(raw)
    except StructureError:
        return  # the reader reports such a record itself; the validator never gets a parse
    alone = validate_record(raw, level, record_type)
    handed = validate_record(raw, level, record_type, parsed=parsed)
    assert handed == alone, raw[:40]


@pytest.mark.filterwarnings("ignore")
def test_corpus_results_are_the_same_with_the_readers_parse(corpus: Path) -> None:
    reads = corpus_reads(corpus)
    assert len(reads) > 1000
    assert sum(read.parsed.well_formed for read in reads) > 1000
    for read in reads:
        for level in LEVELS:
            for record_type in RECORD_TYPES:
                same(read.raw, level, record_type)


def damaged(raw: bytes) -> list[bytes]:
    """Damage that the reader's parse survives: fields swapped in the data, a terminator
    missing, one inside a field, a lost record terminator, a bad tag, a wrong leader."""
    parsed = parse_record(raw)
    fields = list(parsed.fields)
    base = int(raw[12:17])
    out = [raw[:-1], raw[:5].replace(b"0", b"9", 1) + raw[5:], raw[:10] + b"3" + raw[11:]]
    out.append(raw[:20] + b"5" + raw[21:])
    # The directory's entries for the first two fields swapped: the same bytes, another order.
    out.append(raw[:24] + raw[36:48] + raw[24:36] + raw[48:])
    # A terminator replaced inside the data.
    first_end = raw.index(b"\x1e", base)
    out.append(raw[:first_end] + b"x" + raw[first_end + 1 :])
    # A terminator inside a field, the directory kept.
    out.append(raw[: base + 2] + b"\x1e" + raw[base + 3 :])
    # A tag that is not letters and digits.
    out.append(raw[:24] + b"0#1" + raw[27:])
    # A field with a delimiter but no code, and a control character.
    fields.append(Field("500", b"  \x1fa\x1f"))
    fields.append(Field("590", b"  \x1fa\x01"))
    out.append(build_record(parsed.leader, fields))
    return out


def test_damaged_records_give_the_same_results(corpus: Path) -> None:
    reads = [read for read in corpus_reads(corpus) if read.parsed.well_formed][:60]
    for read in reads:
        for raw in damaged(read.raw):
            for level in ("none", "structure", "full"):
                same(raw, level, "auto")


def test_a_parse_of_other_bytes_is_not_trusted(test_data: Path) -> None:
    reads = [item for item in read_records(test_data / "loc-authority-utf8.mrc")]
    first, second = (item for item in reads[:2] if isinstance(item, RecordRead))
    assert first.parsed.well_formed and first.raw != second.raw
    assert validate_record(first.raw, "full", parsed=second.parsed) == validate_record(
        first.raw, "full"
    )
