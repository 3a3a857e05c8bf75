"""A MARC-8 record re-encoded from its bytes is exactly what pymarc's decoding (as the export
reads a record, charset.decode_record) and our writer give, only faster."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.marc import RecordRead, read_records
from app.core.marc.charset import decode_record
from app.core.marc.encode import encode_record
from app.core.marc.iso2709 import parse_record
from app.core.marc.recode import marc8_record_to_utf8


def marc8_records(*paths: Path) -> list[bytes]:
    return [
        item.raw
        for path in paths
        for item in read_records(path)
        if isinstance(item, RecordRead) and item.raw[9:10] == b" "
    ]


def through_pymarc(raw: bytes) -> bytes:
    return encode_record(decode_record(raw), "marc", "utf8").data


def test_small_marc8_records_recode_like_pymarc(test_data: Path) -> None:
    raws = marc8_records(test_data / "pymarc-marc8.dat", test_data / "loc-authority-marc8.mrc")
    assert raws
    for raw in raws:
        recoded = marc8_record_to_utf8(parse_record(raw))
        assert recoded == through_pymarc(raw)
        assert recoded[9:10] == b"a"


@pytest.mark.filterwarnings("ignore")
def test_corpus_marc8_records_recode_like_pymarc(corpus: Path, capfd) -> None:
    raws = marc8_records(
        corpus / "derived" / "lc-authority-marc8.mrc",
        corpus / "marc4j" / "brkrtest.mrc",
        corpus / "marc4j" / "selectedRecs.mrc",
        *sorted((corpus / "marc-perl" / "marc-charset").glob("*.marc")),
    )
    assert len(raws) > 40
    for raw in raws:
        assert marc8_record_to_utf8(parse_record(raw)) == through_pymarc(raw)
    capfd.readouterr()  # pymarc prints about characters it can't map, on both paths
