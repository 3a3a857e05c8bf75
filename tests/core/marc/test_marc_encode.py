"""Encoding records for export: MARC (UTF-8, MARC-8), MARCXML, Dublin Core RDF and HTML."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pymarc import Field, MARCReader, Record, parse_xml_to_array

from app.core.errors import OptionError
from app.core.marc.encode import (
    FORMATS,
    RecordEncodingError,
    document_footer,
    document_header,
    encode_record,
    is_authority,
)
from tests.fixtures.marc_records import data_field, make_authority, make_record

MARC_NS = "{http://www.loc.gov/MARC21/slim}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"
RDF_NS = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def document(fmt: str, *records: Record, charset: str = "utf8") -> bytes:
    body = b"".join(encode_record(record, fmt, charset).data for record in records)
    return document_header(fmt) + body + document_footer(fmt)


def read_marc(data: bytes) -> list[Record]:
    return list(MARCReader(io.BytesIO(data), hide_utf8_warnings=True))


# --- MARC ------------------------------------------------------------------------------------


def test_marc_in_utf8_is_read_back_the_same_with_leader_09_a() -> None:
    record = make_record("Café Война 中文 😀", extra=[data_field("066", "  ", "c", "(N")])
    record.leader = "00000nam  2200000 i 4500"  # as a MARC-8 record would have it
    encoded = encode_record(record, "marc", "utf8")

    assert (encoded.format, encoded.charset, encoded.warnings) == ("marc", "utf8", ())
    data = encoded.data
    assert data[9:10] == b"a"
    assert int(data[0:5]) == len(data)
    (again,) = read_marc(data)
    assert again["245"]["a"] == "Café Война 中文 😀 /"
    # 066 lists MARC-8 escape sequences: meaningless in UTF-8, so it is left out.
    assert [f.tag for f in again.fields] == [f.tag for f in record.fields if f.tag != "066"]
    assert str(record.leader)[9] == " ", "the record itself is not changed"


def test_marc_in_marc8_reports_what_it_had_to_replace() -> None:
    record = make_record("Emoji 😀 and click ǂ")
    encoded = encode_record(record, "marc", "marc8")

    assert encoded.charset == "marc8"
    assert encoded.data[9:10] == b" "
    (again,) = read_marc(encoded.data)
    assert again["245"]["a"] == "Emoji &#x1F600; and click &#x01C2; /"
    assert [(r.tag, r.code, r.char) for r in encoded.replaced] == [
        ("245", "a", "😀"),
        ("245", "a", "ǂ"),
    ]
    (warning,) = encoded.warnings
    assert warning.startswith("2 characters written as &#xXXXX; (no MARC-8 form): ")
    assert "U+1F600 GRINNING FACE in 245 $a" in warning


def test_delimiters_inside_data_do_not_break_the_record() -> None:
    record = make_record(extra=[data_field("500", "  ", "a", "one\x1ftwo\x1ethree\x1d")])
    encoded = encode_record(record, "marc", "utf8")
    (again,) = read_marc(encoded.data)
    assert again["500"]["a"] == "one&#x001F;two&#x001E;three&#x001D;"
    assert "not allowed inside MARC data" in encoded.warnings[0]


def test_a_field_too_long_for_iso_2709_is_refused_by_name() -> None:
    record = make_record(extra=[data_field("505", "0 ", "a", "x" * 10_000)])
    with pytest.raises(RecordEncodingError, match=r"field 505 is 10,005 bytes long"):
        encode_record(record, "marc", "utf8")
    # MARCXML has no such limit.
    assert encode_record(record, "marcxml", "utf8").data


def test_a_record_too_long_for_iso_2709_is_refused() -> None:
    notes = [data_field("500", "  ", "a", "y" * 9_000) for _ in range(12)]
    with pytest.raises(RecordEncodingError, match="a MARC record can be at most 99,999 bytes"):
        encode_record(make_record(extra=notes), "marc", "marc8")


def test_an_indicator_that_cant_be_one_byte_is_refused() -> None:
    record = make_record(extra=[data_field("500", "é ", "a", "note")])
    with pytest.raises(RecordEncodingError, match="field 500: indicator 'é'"):
        encode_record(record, "marc", "utf8")


def test_authority_records_are_always_marc() -> None:
    authority = make_authority("Дое, Джейн")
    assert is_authority(authority)
    for fmt in FORMATS:
        encoded = encode_record(authority, fmt, "marc8")
        assert (encoded.format, encoded.charset) == ("marc", "marc8")
        (again,) = read_marc(encoded.data)
        assert again["100"]["a"] == "Дое, Джейн"


@pytest.mark.parametrize(
    ("fmt", "charset", "key"),
    [("none", "utf8", "format"), ("usmarc", "utf8", "format"), ("marc", "latin1", "charset")],
)
def test_unknown_formats_and_character_sets_are_option_errors(
    fmt: str, charset: str, key: str
) -> None:
    with pytest.raises(OptionError) as caught:
        encode_record(make_record(), fmt, charset)
    assert caught.value.key == key


# --- MARCXML ---------------------------------------------------------------------------------


def test_marcxml_record_is_in_the_slim_namespace_and_reads_back() -> None:
    record = make_record('Ампер & <Co> "quoted"', extra=[data_field("066", "  ", "c", "(N")])
    encoded = encode_record(record, "marcxml", "marc8")
    assert (encoded.format, encoded.charset) == ("marcxml", "utf8")

    element = ET.fromstring(encoded.data)
    assert element.tag == f"{MARC_NS}record"
    children = [child.tag.removeprefix(MARC_NS) for child in element]
    assert children[0] == "leader"
    assert children.index("datafield") > max(
        i for i, tag in enumerate(children) if tag == "controlfield"
    )
    (again,) = parse_xml_to_array(io.BytesIO(document("marcxml", record)))
    assert again["245"]["a"] == 'Ампер & <Co> "quoted" /'
    assert str(again.leader)[9] == "a"
    assert "066" not in again


def test_marcxml_collection_of_many_records_is_one_document() -> None:
    records = [make_record(f"Title {n}", control_number=f"ocm{n:08d}") for n in range(5)]
    data = document("marcxml", *records)
    root = ET.fromstring(data)
    assert root.tag == f"{MARC_NS}collection"
    assert [r["001"].data for r in parse_xml_to_array(io.BytesIO(data))] == [
        f"ocm{n:08d}" for n in range(5)
    ]


def test_characters_xml_cannot_hold_are_replaced_and_reported() -> None:
    record = make_record(extra=[data_field("500", "  ", "a", "bell\x07 and \x1b escape")])
    encoded = encode_record(record, "marcxml", "utf8")
    ET.fromstring(encoded.data)  # still well formed
    assert b"bell&amp;#x0007; and &amp;#x001B; escape" in encoded.data
    assert "(not allowed in XML)" in encoded.warnings[0]


# --- Dublin Core -----------------------------------------------------------------------------


def crosswalk_record() -> Record:
    record = Record(leader="00000cam a2200000 i 4500")
    record.add_field(
        Field("001", data="ocm12345678"),
        Field("008", data="200101s2019    nyu           000 0 fre d"),
        data_field("020", "  ", "a", "9780000000002", "q", "(paperback)"),
        data_field("041", "1 ", "a", "fre", "h", "engger"),
        data_field("050", " 4", "a", "Z693", "b", ".D63 2019"),
        data_field("100", "1 ", "a", "Doe, Jane,", "d", "1950-", "e", "author."),
        data_field("245", "10", "a", "Cataloging today :", "b", "a guide /", "c", "Jane Doe."),
        data_field("246", "3 ", "a", "Cataloguing today"),
        data_field("264", " 1", "a", "New York :", "b", "Example Press,", "c", "2019."),
        data_field("264", " 4", "c", "©2019"),
        data_field("300", "  ", "a", "x, 200 pages ;", "c", "24 cm."),
        data_field("500", "  ", "a", "Includes index."),
        data_field("506", "  ", "a", "Open access."),
        data_field("520", "  ", "a", "A practical guide."),
        data_field("546", "  ", "a", "Text in French."),
        data_field("650", " 0", "a", "Cataloging", "z", "France", "v", "Handbooks, manuals, etc."),
        data_field("651", " 0", "a", "Paris (France)", "x", "History."),
        data_field("655", " 7", "a", "Handbooks and manuals.", "2", "lcgft"),
        data_field("700", "1 ", "a", "Roe, Richard,", "e", "translator.", "4", "trl"),
        data_field("776", "08", "i", "Online version:", "t", "Cataloging today", "o", "ebk1"),
        data_field("856", "40", "u", "https://example.org/book", "q", "application/pdf"),
        data_field("880", "10", "6", "245-01", "a", "Каталогизация сегодня /"),
    )
    return record


def test_the_loc_crosswalk_maps_fields_to_elements() -> None:
    from app.core.marc.to_dublincore import dublin_core

    pairs = dublin_core(crosswalk_record())
    got: dict[str, list[str]] = {}
    for element, value in pairs:
        got.setdefault(element, []).append(value)
    assert got == {
        "title": ["Cataloging today : a guide", "Cataloguing today", "Каталогизация сегодня"],
        "subject": [
            "Z693 .D63 2019",
            "Cataloging--France--Handbooks, manuals, etc.",
        ],
        "description": ["Includes index.", "A practical guide."],
        "publisher": ["New York : Example Press"],
        "contributor": ["Doe, Jane, 1950-", "Roe, Richard"],
        "date": ["2019"],
        "type": ["Text", "Handbooks and manuals"],
        "format": ["application/pdf"],
        "identifier": ["9780000000002", "https://example.org/book"],
        "language": ["fre", "eng", "ger", "Text in French."],
        "relation": ["Cataloging today ebk1"],
        "coverage": ["Paris (France)--History"],
        "rights": ["Open access."],
    }
    # Elements come in DCMI order.
    order = [element for element, _ in pairs]
    assert order == sorted(order, key=lambda e: list(got).index(e))


def test_dc_rdf_has_one_description_per_record_in_one_document() -> None:
    data = document("dc-rdf", crosswalk_record(), make_record("Second"))
    root = ET.fromstring(data)
    assert root.tag == f"{RDF_NS}RDF"
    descriptions = root.findall(f"{RDF_NS}Description")
    assert len(descriptions) == 2
    titles = [d.findtext(f"{DC_NS}title") for d in descriptions]
    assert titles == ["Cataloging today : a guide", "Second"]
    assert descriptions[1].findtext(f"{DC_NS}type") == "Text"


class _MetaCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.where: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "meta" and "name" in named:
            self.meta.append((named["name"] or "", named.get("content") or ""))
            self.where.append(self.open[-1] if self.open else "")
        elif tag != "meta" and tag != "link":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()


def test_dc_html_puts_each_records_meta_elements_in_the_head() -> None:
    data = document("dc-html", crosswalk_record(), make_record('Quote " and <b>'))
    parser = _MetaCollector()
    parser.feed(data.decode("utf-8"))
    parser.close()
    assert parser.open == []
    assert set(parser.where) == {"head"}
    titles = [content for name, content in parser.meta if name == "DC.title"]
    assert titles == [
        "Cataloging today : a guide",
        "Cataloguing today",
        "Каталогизация сегодня",
        'Quote " and <b>',
    ]
    assert data.startswith(b"<!DOCTYPE html>")
    assert b"<!-- record ocm12345678 -->" in data
    assert b'<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">' in data


# --- the corpus ------------------------------------------------------------------------------

CORPUS_FILES = [
    "marc4j/brkrtest_UTF8.mrc",
    "marc4j/oclc_63111280_export_as_UTF8_from_connexion.mrc",
    "derived/lc-authority-utf8.mrc",
    "marc-perl/marc-charset/cjk1.marc",
    "marc-perl/marc-lint/camel.usmarc",
    "edge-connexion/manden.marc",
]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_records_encode_in_every_format(corpus: Path, name: str) -> None:
    with (corpus / name).open("rb") as handle:
        records = [r for r in MARCReader(handle, hide_utf8_warnings=True) if r is not None]
    assert records
    for fmt in FORMATS:
        for charset in ("utf8", "marc8"):
            encoded = [encode_record(record, fmt, charset) for record in records]
            main = [e.data for e in encoded if e.format == fmt]
            whole = document_header(fmt) + b"".join(main) + document_footer(fmt)
            if fmt == "marc":
                assert len(read_marc(whole)) == len(records)
            elif fmt == "dc-html":
                HTMLParser().feed(whole.decode("utf-8"))
            else:
                ET.fromstring(whole)
