"""The fast paths of issue 16 give what the careful ways give, byte for byte: the reader's parse
of a well-formed record, building a record, and an XML export written straight from the
record's UTF-8 bytes (checked against the general way through pymarc, which the export used
before, on records made to hold what XML and MARC make hard), and validating the copy an XML
export would send as MARC without writing its bytes."""

from __future__ import annotations

import random
import sys
import warnings
from pathlib import Path

import pytest

from app.core.marc.iso2709 import (
    _build_record_checked,
    _parse_carefully,
    _parse_well_formed,
    as_built,
    build_parsed,
    build_record,
    parse_record,
)
from app.core.marc.recode import utf8_fields
from app.core.marc.record import Field, StructureError
from app.core.marc.to_marcxml import fields_to_marcxml
from app.core.validation.validator import validate_built, validate_record
from tests.core.export.test_prepare_fast_path import general_way, outcome, plan_for
from tests.fixtures.exporting import valid_bib
from tests.fixtures.marc_builders import data_field

BENCH = Path(__file__).resolve().parents[3] / "bench"
MARKS = b'\x1e\x1d\x1f\x00\x0a\x0d\x1c\xef\xbf&<>"a 0|\x1b'


def iso2709_records(folder: Path) -> list[bytes]:
    records = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.read_bytes()[:5].isdigit():
            records += [r + b"\x1d" for r in path.read_bytes().split(b"\x1d") if len(r) > 24]
    return records


def mutated(records: list[bytes], seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for raw in records:
        for _ in range(count):
            changed = bytearray(raw)
            changed[rng.randrange(len(changed))] = rng.choice(MARKS)
            out.append(bytes(changed))
        out.append(raw[:-1])  # no record terminator
        out.append(raw[: rng.randrange(len(raw))])  # cut short
    return out


def careful(raw: bytes) -> object:
    try:
        parsed = _parse_carefully(raw)
    except StructureError as error:
        return str(error)
    return parsed, parsed.well_formed


def test_the_quick_parse_is_the_careful_one(test_data: Path) -> None:
    records = iso2709_records(test_data) + [valid_bib(n) for n in range(5)]
    quick = 0
    for raw in records + mutated(records, 7, 6):
        found = _parse_well_formed(raw)
        if found is not None:
            quick += 1
            assert found.well_formed
            assert all(type(field) is Field for field in found.fields)
            assert (found, True) == careful(raw)
        try:
            parsed: object = (parse_record(raw), parse_record(raw).well_formed)
        except StructureError as error:
            parsed = str(error)
        assert parsed == careful(raw)
    assert quick >= len(records) // 2  # well-formed records take the quick way


def test_the_quick_parse_over_the_corpus(corpus: Path) -> None:
    records = iso2709_records(corpus)
    for raw in records + mutated(records[:300], 8, 2):
        found = _parse_well_formed(raw)
        if found is not None:
            assert (found, True) == careful(raw)


def built(function, leader: str, fields: list[Field]) -> object:  # type: ignore[no-untyped-def]
    try:
        return function(leader, fields)
    except StructureError as error:
        return str(error)


def test_building_a_record_is_the_same_either_way(test_data: Path) -> None:
    for raw in iso2709_records(test_data) + [valid_bib(n) for n in range(5)]:
        try:
            parsed = parse_record(raw)
        except StructureError:
            continue
        fields = list(parsed.fields)
        cases = [
            fields,
            [],
            [*fields, Field("12", b"x")],
            [*fields, Field("1234", b"x")],
            [*fields, Field("500", b"x" * 9998)],  # the longest field
            [*fields, Field("500", b"x" * 9999)],  # one byte too long
            fields * 60,  # too long a record
            [*fields, Field("ä€1", b"x")],  # not Latin-1: "?" in the directory
        ]
        for case in cases:
            for leader in (parsed.leader, parsed.leader[:10]):
                expected = built(_build_record_checked, leader, case)
                assert built(build_record, leader, case) == expected


SPECIAL_TEXTS = [
    "Caf\u00e9 & cr\u00e8me <b> > \"quoted\" 'single'",
    "line\rreturn and\nline feed\tand tab",
    "\u4e2d\u6587 \u0416 \u05e2\u05d1\u05e8\u05d9\u05ea",
    "not a character: \ufffe",
    "nor this: \uffff",
    "a control \x07 character",
    "",
]


def special_record(rng: random.Random) -> bytes:
    """A record holding what XML and MARC make hard: XML's special characters, line ends,
    non-characters, controls, empty subfields, odd indicators, 066, 9XX."""
    extra = []
    for _ in range(rng.randrange(1, 6)):
        tag = rng.choice(["500", "650", "245", "066", "938", "9XX", "880", "A12"])
        if tag == "9XX":
            tag = f"9{rng.randrange(10)}{rng.randrange(10)}"
        first, second = rng.choice(' 01&<>"|#'), rng.choice(" 0127&\"'")
        subfields = []
        for _ in range(rng.randrange(1, 4)):
            subfields += [rng.choice("abcz06"), rng.choice(SPECIAL_TEXTS)]
        extra.append(data_field(tag, first, second, *subfields))
    return valid_bib(rng.randrange(1000), *extra)


@pytest.mark.filterwarnings("ignore")
def test_xml_exports_of_hard_records_are_the_same_as_through_pymarc(capfd) -> None:
    rng = random.Random(16)
    quick = 0
    for _ in range(150):
        raw = special_record(rng)
        for delete in ((), ("9XX",), ("9XX", "066", "5XX", "001")):
            quick += utf8_fields(raw, parse_record(raw), delete) is not None
            for fmt in ("marcxml", "dc-rdf"):
                for level in ("none", "full"):
                    plan = plan_for(fmt, delete, level)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        assert outcome(raw, plan) == general_way(raw, plan), (fmt, delete, raw)
    assert quick > 30  # the quick way is taken for some of them, not only the general one
    capfd.readouterr()


def test_the_marcxml_writer_escapes_text_and_attributes() -> None:
    fields = [
        Field("001", b"a&b<c>d\re"),
        Field("245", b'&"\x1fa<T\xc3\xa9 &>\r\x1fb\x1fc"x"'),
    ]
    xml = fields_to_marcxml("00000nam a2200000 a 4500", fields)
    assert xml == (
        b'<record xmlns="http://www.loc.gov/MARC21/slim">\n'
        b"  <leader>00000nam a2200000 a 4500</leader>\n"
        b'  <controlfield tag="001">a&amp;b&lt;c&gt;d&#13;e</controlfield>\n'
        b'  <datafield tag="245" ind1="&amp;" ind2="&quot;">\n'
        b'    <subfield code="a">&lt;T\xc3\xa9 &amp;&gt;&#13;</subfield>\n'
        b'    <subfield code="b"></subfield>\n'
        b'    <subfield code="c">"x"</subfield>\n'
        b"  </datafield>\n"
        b"</record>\n"
    )


def built_and_validated(leader: str, fields: list[Field], level: str, kind: str) -> object:
    """What an export validating the MARC copy of these fields found, the bytes written."""
    try:
        raw, parsed = build_parsed(leader, fields)
    except StructureError as error:
        return str(error)
    return validate_record(raw, level, kind, parsed=parsed)


def validated_unbuilt(leader: str, fields: list[Field], level: str, kind: str) -> object:
    """The same, the copy described (as_built) and validated without its bytes."""
    try:
        copy = as_built(leader, fields)
    except StructureError as error:
        return str(error)
    return validate_built(copy, level, kind)


def field_sets(records: list[bytes], seed: int) -> list[tuple[str, list[Field]]]:
    """Each record's fields, some left out and shuffled, and fields that make building or
    reading hard: terminators inside, odd or non-Latin-1 tags, too long, none at all."""
    rng = random.Random(seed)
    sets = []
    for raw in records:
        try:
            parsed = parse_record(raw)
        except StructureError:
            continue
        fields = list(parsed.fields)
        sets.append((parsed.leader, fields))
        sets.append((parsed.leader, rng.sample(fields, max(1, len(fields) // 2))))
    odd = [
        Field("500", b"  \x1faone\x1etwo"),  # a field terminator inside
        Field("500", b"  \x1faend\x1d"),  # a record terminator inside
        Field("5\x0700", b"  \x1fax"),  # a control character in the tag
        Field("5-0", b"  \x1fax"),  # a tag the directory's reader does not take
        Field("ä€1", b"  \x1fax"),  # not Latin-1: "?" in the directory
        Field("50", b"  \x1fax"),  # too short a tag
        Field("500", b"  \x1fa" + b"x" * 9996),  # the longest field
        Field("500", b"  \x1fa" + b"x" * 9997),  # one byte too long
        Field("500", b"  \x1fa\xff\xfe not UTF-8"),
        Field("500", b"  \x1fa\x07 a control character"),
        Field("001", b"\x07 in a control field"),
        Field("245", b"\x1f\x07 no indicators, a bad code"),
        Field("245", b"\x1fa"),  # no indicators, an empty subfield
    ]
    utf8 = parse_record(valid_bib(seed))
    for leader, fields in ((utf8.leader, list(utf8.fields)), sets[0]):
        # Each first and last: the checks over the record's bytes look at its start and end.
        sets += [(leader, [*fields, extra]) for extra in odd]
        sets += [(leader, [extra, *fields]) for extra in odd]
        sets += [(leader, fields * 60), (leader, []), (leader[:10], fields), (" " * 24, fields)]
    return sets


def test_validating_a_copy_unbuilt_is_validating_it_built(test_data: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from marc_samples import generated_records
    finally:
        sys.path.remove(str(BENCH))
    records = iso2709_records(test_data) + generated_records(40) + [valid_bib(n) for n in range(5)]
    unbuilt = 0
    for leader, fields in field_sets(records, 11):
        for level in ("none", "structure", "basic", "full"):
            for kind in ("auto", "bib", "auth"):
                expected = built_and_validated(leader, fields, level, kind)
                assert validated_unbuilt(leader, fields, level, kind) == expected, (level, kind)
        unbuilt += not isinstance(expected, str)
    assert unbuilt > len(records)  # most sets could be built, and were checked unbuilt


def test_validating_unbuilt_copies_over_the_corpus(corpus: Path) -> None:
    for leader, fields in field_sets(iso2709_records(corpus), 12):
        for level in ("structure", "full"):
            expected = built_and_validated(leader, fields, level, "auto")
            assert validated_unbuilt(leader, fields, level, "auto") == expected


def test_the_marcxml_writer_puts_control_fields_first_whatever_their_place() -> None:
    raw = valid_bib(3, data_field("500", " ", " ", "a", "a note"))
    parsed = parse_record(raw)
    moved = list(parsed.fields)
    moved.append(moved.pop(0))  # 001 after the data fields
    in_order = fields_to_marcxml(parsed.leader, list(parsed.fields))
    assert fields_to_marcxml(parsed.leader, moved) != in_order  # the 001 moved among controls
    control_first = sorted(moved, key=lambda field: not field.is_control)
    assert fields_to_marcxml(parsed.leader, moved) == fields_to_marcxml(
        parsed.leader, control_first
    )
    assert in_order.index(b'tag="001"') < in_order.index(b"<datafield")
    xml = fields_to_marcxml(parsed.leader, moved)
    assert xml.rindex(b"<controlfield") < xml.index(b"<datafield")
