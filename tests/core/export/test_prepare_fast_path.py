"""An export prepares each record with one parse and one encode: the XML and Dublin Core
formats are written from the parsed fields (recode.utf8_fields) rather than from a pymarc
decoding. The bytes, warnings and validation outcome must be exactly what the general way
(pymarc's decoding, the fields deleted from the copy, the writers, the copy validated as
UTF-8 MARC) gives, which is what exports were before; these tests hold them to it over the
corpus, the test records and generated ones."""

from __future__ import annotations

import contextlib
import random
import sys
import warnings
from pathlib import Path

import pytest

from app.core.errors import ExportDeskError
from app.core.export.plan import ExportPlan
from app.core.export.prepare import prepare, validation_detail
from app.core.marc import RecordRead, read_records
from app.core.marc.charset import decode_record
from app.core.marc.encode import encode_record
from app.core.marc.fields import delete_fields
from app.core.marc.iso2709 import parse_record
from app.core.marc.recode import utf8_fields
from app.core.marc.record import StructureError
from app.core.validation import validate_record

BENCH = Path(__file__).resolve().parents[3] / "bench"
SUFFIXES = (".mrc", ".dat", ".marc", ".usmarc", ".xml", ".mrk")
XML_FORMATS = ("marcxml", "dc-rdf", "dc-html")
DELETIONS = ((), ("9XX",), ("9XX", "066", "5XX", "001"))


def general_way(raw: bytes, plan: ExportPlan) -> object:
    """What prepare gave before the fast path, for a bibliographic record in an XML format."""
    try:
        parse_record(raw)
        copy = delete_fields(decode_record(raw), plan.fields_to_delete)
        encoded = encode_record(copy, plan.fmt, plan.charset)
        checked = encode_record(copy, "marc", "utf8").data
    except ExportDeskError as error:
        return str(error)
    except Exception as error:
        return f"the record can't be read: {error or type(error).__name__}"
    found = list(encoded.warnings)
    if plan.validate_bib != "none":
        result = validate_record(checked, plan.validate_bib, "bib")
        if result.has_errors and plan.validate_bib in ("basic", "full"):
            return validation_detail(result, plan.validate_bib)
        if result.has_errors:
            detail = validation_detail(result, plan.validate_bib)
            found.append(f"Sent despite validation errors: {detail}")
    return (encoded.data, encoded.format, encoded.replaced, tuple(found))


def outcome(raw: bytes, plan: ExportPlan) -> object:
    ready = prepare(raw, plan)
    if isinstance(ready, str):
        return ready
    encoded = ready.encoded
    return (encoded.data, encoded.format, encoded.replaced, ready.warnings)


def plan_for(fmt: str, delete: tuple[str, ...], level: str) -> ExportPlan:
    return ExportPlan(
        destination="file",
        fmt=fmt,
        charset="utf8",
        fields_to_delete=delete,
        validate_bib=level,
        validate_auth="none",
        file_path=Path("unused.xml"),
    )


def bibliographic(raws: list[bytes]) -> list[bytes]:
    return [raw for raw in raws if raw[6:7] != b"z"]


def check_all(raws: list[bytes]) -> int:
    fast = 0
    for raw in raws:
        for delete in DELETIONS:
            with contextlib.suppress(StructureError):
                fast += utf8_fields(raw, parse_record(raw), delete) is not None
            for fmt in XML_FORMATS:
                for level in ("none", "full"):
                    plan = plan_for(fmt, delete, level)
                    assert outcome(raw, plan) == general_way(raw, plan), (fmt, delete, raw[:40])
    return fast


@pytest.mark.filterwarnings("ignore")
def test_corpus_exports_are_the_same_as_through_pymarc(corpus: Path, capfd) -> None:
    raws = [
        item.raw
        for path in sorted(p for p in corpus.rglob("*") if p.suffix in SUFFIXES)
        for item in read_records(path)
        if isinstance(item, RecordRead)
    ]
    raws = bibliographic(raws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = check_all(raws)
    assert fast > 0.8 * len(raws) * len(DELETIONS)  # most records take the fast path
    capfd.readouterr()  # pymarc prints about characters it can't map


def test_test_data_and_generated_exports_are_the_same(test_data: Path, capfd) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from marc_samples import generated_records
        from records_gen import make_record
    finally:
        sys.path.remove(str(BENCH))
    rng = random.Random(3)
    raws = [make_record(n, rng) for n in range(60)] + generated_records(60)
    raws += [
        item.raw
        for path in sorted(test_data.iterdir())
        if path.suffix in SUFFIXES
        for item in read_records(path)
        if isinstance(item, RecordRead)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert check_all(bibliographic(raws)) > 100
    capfd.readouterr()
