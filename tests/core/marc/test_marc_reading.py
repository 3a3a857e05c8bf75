"""Reading MARC files: ISO 2709, MARCXML and mnemonic text, broken records, MARC-8 text."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pymarc
import pytest

from app.core.marc import (
    ReadError,
    RecordRead,
    detect_format,
    display_lines,
    parse_record,
    read_records,
    read_stream,
    summarize,
)
from tests.fixtures.records import bib_record


def split(results: list[object]) -> tuple[list[RecordRead], list[ReadError]]:
    records = [r for r in results if isinstance(r, RecordRead)]
    errors = [r for r in results if isinstance(r, ReadError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def raw_records(path: Path) -> list[bytes]:
    """The records of a clean ISO 2709 file, split on the record terminator."""
    return [part + b"\x1d" for part in path.read_bytes().split(b"\x1d") if part.strip()]


# -- ISO 2709 -------------------------------------------------------------------------------


def test_iso2709_records_keep_their_bytes_and_positions(test_data: Path) -> None:
    path = test_data / "pymarc-test.dat"
    records, errors = split(list(read_records(path)))
    assert errors == []
    assert len(records) == 10
    assert b"".join(r.raw for r in records) == path.read_bytes()
    assert [r.number for r in records] == list(range(1, 11))
    offsets = [0]
    for record in records[:-1]:
        offsets.append(offsets[-1] + len(record.raw))
    assert [r.offset for r in records] == offsets
    assert {r.source_format for r in records} == {"iso2709"}
    assert records[0].file == str(path)


def test_broken_records_are_reported_and_the_good_ones_around_them_load(test_data: Path) -> None:
    path = test_data / "pymarc-bad-records.mrc"
    records, errors = split(list(read_records(path)))
    # Nine records: the first and the eighth are good, six between them have broken
    # structures, and the ninth is cut off by the end of the file.
    assert [r.number for r in records] == [1, 8]
    assert [e.record for e in errors] == [2, 3, 4, 5, 6, 7, 9]
    assert "ends inside this record" in errors[-1].reason
    assert all(e.file == str(path) and e.reason for e in errors)
    assert "base address" in errors[0].reason
    offsets = [e.offset for e in errors]
    assert offsets == sorted(offsets) and offsets[0] == len(records[0].raw)


def test_a_damaged_directory_costs_only_its_own_record(make_file, test_data: Path) -> None:
    raws = raw_records(test_data / "pymarc-test.dat")
    broken = bytearray(raws[4])
    broken[24 + 3 : 24 + 7] = b"XXXX"  # the length of the first directory entry
    path = make_file("damaged.mrc", b"".join([*raws[:4], bytes(broken), *raws[5:]]))
    records, errors = split(list(read_records(path)))
    assert len(records) == 9
    assert [(e.record, e.offset) for e in errors] == [(5, sum(len(r) for r in raws[:4]))]
    assert "not a number" in errors[0].reason
    assert [r.raw for r in records] == raws[:4] + raws[5:]


def test_a_lost_record_terminator_is_resynchronised_by_the_leader_length(
    make_file, test_data: Path
) -> None:
    raws = raw_records(test_data / "pymarc-test.dat")
    path = make_file("lost.mrc", b"".join([*raws[:2], raws[2][:-1] + b"\x1e", *raws[3:]]))
    records, errors = split(list(read_records(path)))
    assert len(records) == 9
    assert [e.record for e in errors] == [3]
    assert "terminator" in errors[0].reason
    assert records[2].raw == raws[3]


def test_a_wrong_leader_length_still_loads_with_a_note(make_file, test_data: Path) -> None:
    raw = raw_records(test_data / "pymarc-test.dat")[0]
    wrong = b"%05d" % (len(raw) + 7) + raw[5:]
    path = make_file("length.mrc", wrong + raw)
    records, errors = split(list(read_records(path)))
    assert errors == []
    assert [r.raw for r in records] == [wrong, raw]
    assert "length" in records[0].notes[0]


def test_filler_between_records_is_skipped(make_file, test_data: Path) -> None:
    raws = raw_records(test_data / "pymarc-test.dat")
    path = make_file("filler.mrc", b"\x00" + b"\n".join(raws[:3]) + b"\x1a" + raws[3] + b"\r\n")
    records, errors = split(list(read_records(path)))
    assert errors == []
    assert [r.raw for r in records] == raws[:4]


def test_a_file_cut_short_reports_its_last_record(make_file, test_data: Path) -> None:
    content = (test_data / "pymarc-test.dat").read_bytes()
    path = make_file("cut.mrc", content[:-100])
    records, errors = split(list(read_records(path)))
    assert len(records) == 9
    assert [e.record for e in errors] == [10]
    assert "ends inside this record" in errors[0].reason


def test_reading_streams_instead_of_loading_the_file() -> None:
    one = bib_record("stream-1", "Streaming")
    count = 3 * 1024 * 1024 // len(one)
    stream = io.BytesIO(one * count)
    results = read_stream(stream, "big.mrc")
    first = next(results)
    assert isinstance(first, RecordRead)
    assert stream.tell() < len(stream.getvalue()) / 2
    assert sum(1 for _ in results) == count - 1


@pytest.mark.parametrize(
    ("name", "head", "record", "tail"),
    [
        (
            "big.xml",
            b'<collection xmlns="http://www.loc.gov/MARC21/slim">',
            b"<record><leader>00000nam a2200000 a 4500</leader>"
            b'<controlfield tag="001">x</controlfield></record>\n',
            b"</collection>",
        ),
        ("big.mrk", b"", b"=LDR  00000nam a2200000 a 4500\n=001  x\n\n", b""),
    ],
)
def test_text_formats_stream_too(name: str, head: bytes, record: bytes, tail: bytes) -> None:
    count = 2 * 1024 * 1024 // len(record)
    stream = io.BytesIO(head + record * count + tail)
    results = read_stream(stream, name)
    assert isinstance(next(results), RecordRead)
    assert stream.tell() < len(stream.getvalue()) / 2
    assert sum(1 for _ in results) == count - 1


# -- MARCXML --------------------------------------------------------------------------------


def test_marcxml_with_the_namespace_becomes_utf8_iso2709(test_data: Path) -> None:
    records, errors = split(list(read_records(test_data / "pymarc-batch.xml")))
    assert errors == []
    assert len(records) == 2
    first = pymarc.Record(data=records[0].raw, to_unicode=True, force_utf8=True)
    assert first.leader[9] == "a"
    assert first["001"].data == "5637241"
    assert first["245"]["a"] == "The Great Ray Charles"
    assert {r.source_format for r in records} == {"marcxml"}
    assert records[0].offset < records[1].offset


def test_marcxml_without_a_namespace_and_a_single_record(test_data: Path) -> None:
    records, errors = split(list(read_records(test_data / "sample-no-namespace.xml")))
    assert errors == []
    summary = summarize(records[0].parsed)
    assert summary.title == "Résumé d'un livre sans espace de noms"
    assert summary.oclc_number == "987654321"
    assert summary.encoding == "UTF-8"


def test_xml_that_stops_being_well_formed_keeps_the_records_before(test_data: Path) -> None:
    path = test_data / "broken-collection.xml"
    records, errors = split(list(read_records(path)))
    assert [summarize(r.parsed).control_number for r in records] == ["xml-1", "xml-2"]
    assert len(errors) == 1
    error = errors[0]
    assert (error.record, error.line, error.column) == (3, 21, 45)
    assert "line 21, column 45" in error.reason
    lines = path.read_bytes().split(b"\n")
    assert error.offset == sum(len(line) + 1 for line in lines[:20]) + 44
    assert lines[20][43:44] == b"&"  # expat stops just after the bare ampersand


def entity_file(declarations: str, text: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE collection [\n{declarations}]>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
        "<leader>00000nam a2200000 a 4500</leader>"
        '<controlfield tag="001">entities</controlfield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">{text}</subfield>'
        "</datafield></record></collection>\n"
    ).encode()


def test_entities_that_multiply_are_stopped_not_expanded(make_file) -> None:
    # "Billion laughs": ten levels of ten references, a 10^10-fold text from 1 KB. The
    # parser's limit on amplification stops it at once, as XML that is not well formed.
    levels = ['<!ENTITY e0 "laugh">']
    levels += [f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 11)]
    path = make_file("laughs.xml", entity_file("\n".join(levels), "&e10;"))
    records, errors = split(list(read_records(path)))
    assert records == []
    assert len(errors) == 1 and "amplification" in errors[0].reason
    assert "the rest of the file was not read" in errors[0].reason


def test_an_external_entity_is_never_fetched(make_file, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the contents of another file")
    path = make_file(
        "external.xml", entity_file(f'<!ENTITY x SYSTEM "{secret.as_uri()}">', "Title &x;")
    )
    records, errors = split(list(read_records(path)))
    assert errors == []
    (record,) = records
    assert b"another file" not in record.raw
    assert record.parsed.first("245") is not None


def test_a_record_missing_a_tag_is_reported_and_the_next_one_loads(make_file) -> None:
    path = make_file(
        "tagless.xml",
        b"<collection><record><leader>00000nam a2200000 a 4500</leader>"
        b"<controlfield>no tag</controlfield></record>"
        b"<record><leader>00000nam a2200000 a 4500</leader>"
        b'<controlfield tag="001">ok</controlfield></record></collection>',
    )
    records, errors = split(list(read_records(path)))
    assert [e.record for e in errors] == [1]
    assert "no tag" in errors[0].reason
    assert [r.number for r in records] == [2]


def test_xml_of_another_kind_says_it_holds_no_marc(make_file) -> None:
    path = make_file("feed.xml", b"<rss><channel><title>news</title></channel></rss>")
    records, errors = split(list(read_records(path)))
    assert records == []
    assert "no MARCXML records" in errors[0].reason and "<rss>" in errors[0].reason


# -- mnemonic text --------------------------------------------------------------------------


def test_mnemonic_text(test_data: Path) -> None:
    records, errors = split(list(read_records(test_data / "sample.mrk")))
    assert [r.number for r in records] == [1, 2, 4]
    assert [(e.record, e.line) for e in errors] == [(3, 20)]
    assert "line 23" in errors[0].reason
    first = pymarc.Record(data=records[0].raw, to_unicode=True, force_utf8=True)
    assert list(first["245"].indicators) == ["1", "4"]
    assert first["245"]["b"] == "costs in $US and £ /"
    assert list(first["100"].indicators) == ["1", " "]
    assert first["008"].data == "240101s2024    nyu           000 0 eng d"
    second = pymarc.Record(data=records[1].raw, to_unicode=True, force_utf8=True)
    assert second["245"]["h"] == "{copy} sound"
    assert records[1].notes == ("line 17: the mnemonic {copy} was kept as text",)
    assert summarize(records[2].parsed).record_type == "auth"
    assert {r.source_format for r in records} == {"mnemonic"}


# -- format detection -----------------------------------------------------------------------


def test_the_content_decides_the_format_not_the_name(make_file, test_data: Path) -> None:
    path = make_file("really-iso.xml", (test_data / "pymarc-test.dat").read_bytes())
    records, _ = split(list(read_records(path)))
    assert len(records) == 10
    assert detect_format(b"  <?xml", "x.mrc") == "marcxml"
    assert detect_format(b"=LDR  00000", "x.dat") == "mnemonic"
    assert detect_format(b"\xef\xbb\xbf=LDR  00000", "x.dat") == "mnemonic"
    assert detect_format(b"[{", "x.json") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b'[{"leader": "x"}]', "MARC-in-JSON")],
)
def test_files_that_cannot_be_read_at_all(make_file, content: bytes, reason: str) -> None:
    [error] = list(read_records(make_file("f.json", content)))
    assert isinstance(error, ReadError)
    assert (error.record, error.offset) == (0, 0)
    assert reason in error.reason


def test_a_missing_file(tmp_path: Path) -> None:
    [error] = list(read_records(tmp_path / "nowhere.mrc"))
    assert isinstance(error, ReadError) and "does not exist" in error.reason


# -- what the list shows --------------------------------------------------------------------


def test_summary_numbers_title_type_and_encoding() -> None:
    from_035 = summarize(parse_record(bib_record("loc-1", "The title /", oclc="ocm00012345")))
    assert from_035.oclc_number == "12345"
    assert from_035.duplicate_key == "ocolc:12345"
    assert from_035.title == "The title"
    from_001 = summarize(parse_record(bib_record("ocn987", "A", identifier="OCoLC")))
    assert (from_001.oclc_number, from_001.duplicate_key) == ("987", "ocolc:987")
    local = summarize(parse_record(bib_record("b123", "A", identifier="XyZ", utf8=False)))
    assert local.oclc_number is None
    assert local.duplicate_key == "cn:XyZ:b123"
    assert local.encoding == "MARC-8"
    authority = summarize(parse_record(bib_record("n 1", "Heading, A.", kind="z")))
    assert (authority.record_type, authority.title) == ("auth", "Heading, A.")


def test_title_sort_skips_nonfiling_characters(test_data: Path) -> None:
    [record] = [r for r in read_records(test_data / "sample.mrk")][:1]
    assert isinstance(record, RecordRead)
    summary = summarize(record.parsed)
    assert summary.title.startswith("The price of tea")
    assert summary.title_sort.startswith("price of tea")


def test_marc8_text_decodes_like_the_utf8_original(test_data: Path) -> None:
    marc8, _ = split(list(read_records(test_data / "loc-authority-marc8.mrc")))
    utf8, _ = split(list(read_records(test_data / "loc-authority-utf8.mrc")))
    assert len(marc8) == len(utf8) == 3
    assert {summarize(r.parsed).encoding for r in marc8} == {"MARC-8"}
    for old, new in zip(marc8, utf8, strict=True):
        shown_old = [unicodedata.normalize("NFC", line) for line in display_lines(old.parsed)]
        shown_new = [unicodedata.normalize("NFC", line) for line in display_lines(new.parsed)]
        assert shown_old[1:] == shown_new[1:]  # all but the leader (leader/09, lengths)
    assert summarize(marc8[0].parsed).title == "Johnson, J. Reneé (Julie Reneé), 1973-"
    cjk = "\n".join(display_lines(marc8[2].parsed))
    assert "香港理工大学" in cjk and "\x1b" not in cjk


def test_marc8_and_utf8_copies_of_a_record_show_the_same(test_data: Path) -> None:
    [marc8] = [r for r in read_records(test_data / "pymarc-marc8.dat")]
    [utf8] = [r for r in read_records(test_data / "pymarc-utf8.dat")]
    assert isinstance(marc8, RecordRead) and isinstance(utf8, RecordRead)
    lines = display_lines(marc8.parsed)
    assert any("De la solitude à la communauté" in line for line in lines)
    nfc = [unicodedata.normalize("NFC", line) for line in display_lines(utf8.parsed)]
    assert lines[1:] == nfc[1:]


def test_display_is_like_connexion(test_data: Path) -> None:
    [record] = [r for r in read_records(test_data / "sample-no-namespace.xml")]
    assert isinstance(record, RecordRead)
    assert display_lines(record.parsed) == [
        "LDR    00177cam a2200073 a 4500",
        "001    xml-nons-1",
        "003    XyZ",
        "035    \u2021a (OCoLC)ocn987654321",
        "245 10 \u2021a Résumé d'un livre sans espace de noms / \u2021c Zoë Ångström.",
    ]


# -- the shared corpus ----------------------------------------------------------------------

# Files where this reader does better or differently than pymarc's permissive reader, which
# gives up on a whole file at its first problem: (records read, records reported).
CORPUS_DIFFERENCES = {
    # a leader whose base address is off: fields can't be located, so it is reported
    "marc-perl/marc-record/baddir.usmarc": (0, 1),
    # pymarc tries a record in the trailing newline
    "marc-perl/marc-record/badind.usmarc": (1, 0),
    "pymarc/bad_indicator.dat": (1, 0),
    "pymarc/testunimarc.dat": (1, 0),
    # pymarc loses sync after a wrong length; these resynchronise (stray byte at the end)
    "marc-perl/marc-record/badldr.usmarc": (6, 1),
    # Ctrl-Z, NUL or line feeds between records are filler, not records
    "marc-perl/marc-record/cameleof.usmarc": (10, 0),
    "marc-perl/marc-record/filler.usmarc": (3, 0),
    "qa-catalogue/000-line-seperated.mrc": (20, 0),
    # a record with no fields (and no leader) is reported
    "marc-perl/marc-xml/empty-record-2.xml": (0, 1),
    # the over-long record is reported, the rest load
    "marc4j/bad_hathi_records.mrc": (4, 1),
    # of three records, the first is over 99,999 bytes: reported; the two after it load
    "marc4j/bad_too_long_plus_2.mrc": (2, 1),
    "mrrc-testbed/synthetic-malformed/bad_directory.mrc": (1, 4),
    "mrrc-testbed/synthetic-malformed/invalid_lengths.mrc": (2, 2),
    "mrrc-testbed/synthetic-malformed/missing_terminators.mrc": (2, 1),
    "mrrc-testbed/synthetic-malformed/truncated_leader.mrc": (0, 2),
    # MARCXML leaders of odd lengths and tags without leading zeros are read, with notes
    "pymarc/bad_tag.xml": (1, 0),
    "qa-catalogue/wrong-marcxml.xml": (3, 0),
    # invalid UTF-8 is the validator's business; the structure is sound
    "ruby-marc/marc_with_bad_utf8.utf8.marc": (1, 0),
    # the first record is kept, the second ends the file at the XML error
    "ruby-marc/three-records-second-bad.xml": (1, 1),
    # MARC-in-JSON is not a format ExportDesk reads
    "pymarc/batch.json": (0, 1),
}


def test_corpus_counts_match_what_the_files_hold(corpus: Path) -> None:
    index = json.loads((corpus / "index.json").read_text(encoding="utf-8"))
    checked = 0
    for entry in index["files"]:
        measured = entry.get("pymarc_5_4_0")
        if not measured:
            continue  # a manifest, not a record file
        records, errors = split(list(read_records(corpus / entry["path"])))
        for record in records:
            assert parse_record(record.raw).fields == record.parsed.fields
            summarize(record.parsed)
        for error in errors:
            assert error.file.endswith(entry["path"]) and error.reason
        got = (len(records), len(errors))
        expected = CORPUS_DIFFERENCES.get(
            entry["path"], (measured["records"], measured["struct_errors"])
        )
        assert got == expected, entry["path"]
        checked += 1
    assert checked == 87
