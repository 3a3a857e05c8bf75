"""The ligature and the double tilde, which span two letters: MARC-8 writes each as two halves
(ANSEL EB/EC and FA/FB), each before its letter; Unicode as one mark between the letters
(U+0361 COMBINING DOUBLE INVERTED BREVE, U+0360 COMBINING DOUBLE TILDE), the mapping the
Library of Congress's code table prefers. Both ways, and what still has no MARC-8 form is
written as &#xXXXX; and named, with its record and field, by ``exportdesk export``."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.marc import RecordRead, decode_marc8, parse_record, read_records
from app.core.marc.charset import decode_record
from app.core.marc.iso2709 import subfields
from app.core.marc.marc8 import encode_marc8, record_to_marc8
from app.core.marc.recode import marc8_record_to_utf8
from app.core.store.savefile import SaveFile
from tests.fixtures.exporting import ACCOUNT, add_records, valid_bib
from tests.fixtures.marc_builders import data_field

LIGATURE, DOUBLE_TILDE = "\u0361", "\u0360"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # As marc4j's brkrtest.mrc writes them (and its brkrtest_UTF8.mrc reads them).
        ("di\u0361adi\u0361a", b"d\xebi\xecad\xebi\xeca"),
        ("n\u0360galan", b"\xfan\xfbgalan"),
        # Cyrillic romanization, as in marc4j's cyrillic_capital_e.mrc.
        ("I\u0361Urii\u0306", b"\xebI\xecUri\xe6i"),
        ("Magnitogorska\u0131\u0361a", b"Magnitogorska\xeb\xb8\xeca"),
        # Each letter with a mark of its own: the halves come last, next to the letter.
        ("e\u0301\u0361e\u0300x", b"\xe2\xebe\xe1\xecex"),
        # Both double marks over one pair of letters.
        ("a\u0361\u0360b", b"\xeb\xfaa\xec\xfbb"),
        # The second letter in another character set: the half stays before it.
        ("\u0438\u0361\u0430", b"\xeb\x1b(NI\xecA\x1b(B"),
    ],
)
def test_double_marks_are_written_as_halves_and_read_back(text: str, expected: bytes) -> None:
    data, unmappable = encode_marc8(text)
    assert (data, unmappable) == (expected, [])
    assert decode_marc8(data) == nfc(text)


@pytest.mark.parametrize(
    ("text", "expected", "listed"),
    [
        # No letter after it to carry the second half.
        ("t\u0361", b"t&#x0361;", [LIGATURE]),
        ("n\u0360 ", b"\xfan\xfb ", []),  # a space is a character MARC-8 can mark
        # Nothing before it.
        ("\u0361a", b"&#x0361;a", [LIGATURE]),
        # A letter after it that MARC-8 lacks.
        ("x\u0361\U0001f600", b"x&#x0361;&#x1F600;", [LIGATURE, "\U0001f600"]),
    ],
)
def test_a_double_mark_with_no_two_letters_to_span_keeps_the_lossless_form(
    text: str, expected: bytes, listed: list[str]
) -> None:
    assert encode_marc8(text) == (expected, listed)


def test_halves_that_do_not_pair_are_kept_as_they_are() -> None:
    # A first half with no second half on the next letter (a damaged record): Unicode's
    # half mark, which writes back to the same byte.
    assert decode_marc8(b"\xebia") == "i\ufe20a"
    assert decode_marc8(b"\xebi \xeca") == "i\ufe20 a\ufe21"
    assert encode_marc8("i\ufe20 a\ufe21")[0] == b"\xebi \xeca"


latin_letters = st.sampled_from("aeinotuyAEIOUzhsc")
marks = st.lists(st.sampled_from("\u0301\u0300\u0306\u0308\u0304"), max_size=2).map("".join)
letter = st.tuples(latin_letters, marks).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(letter, st.sampled_from(["", "", LIGATURE, DOUBLE_TILDE])), max_size=12))
def test_text_with_double_marks_comes_back_the_same(parts: list[tuple[str, str]]) -> None:
    text = "".join(letter + mark for letter, mark in parts)
    if text.endswith((LIGATURE, DOUBLE_TILDE)):
        text += "a"  # a double mark needs a letter on each side
    data, unmappable = encode_marc8(text)
    assert unmappable == []
    assert LIGATURE.encode() not in data
    assert decode_marc8(data) == nfc(text)


# --- the corpus ------------------------------------------------------------------------------


def records(path: Path) -> list[RecordRead]:
    return [item for item in read_records(path) if isinstance(item, RecordRead)]


def texts(raw: bytes) -> list[tuple[str, str, str]]:
    """(tag, code, text) of every subfield, as the export reads the record."""
    record = decode_record(raw)
    return [
        (field.tag, code, nfc(value))
        for field in record.fields
        if not field.control_field and field.tag != "066"
        for code, value in field.subfields
    ]


def test_marc8_and_utf8_copies_of_the_same_records_agree(corpus: Path) -> None:
    """marc4j's brkrtest.mrc (MARC-8) and brkrtest_UTF8.mrc (the same 8 records in UTF-8,
    with U+0361 and U+0360) say the same thing, field for field, both ways."""
    marc8 = records(corpus / "marc4j" / "brkrtest.mrc")
    utf8 = records(corpus / "marc4j" / "brkrtest_UTF8.mrc")
    assert len(marc8) == len(utf8) == 8
    doubles = 0
    for old, new in zip(marc8, utf8, strict=True):
        # Reading the MARC-8 record gives the UTF-8 one's text...
        assert texts(old.raw) == texts(new.raw)
        # ...and so does the fast MARC-8 to UTF-8 path of the export...
        assert texts(marc8_record_to_utf8(old.parsed)) == texts(new.raw)
        # ...and writing the UTF-8 record in MARC-8 gives the MARC-8 one's bytes.
        written, replaced = record_to_marc8(decode_record(new.raw))
        assert replaced == []
        again = parse_record(written)
        assert [f for f in again.fields if f.tag >= "010"] == [
            f for f in old.parsed.fields if f.tag >= "010"
        ]
        doubles += sum(t.count(LIGATURE) + t.count(DOUBLE_TILDE) for *_, t in texts(new.raw))
    assert doubles == 12


def test_every_double_mark_of_the_corpus_now_has_a_marc8_form(corpus: Path) -> None:
    """The UTF-8 records of the corpus that hold U+0360 or U+0361 (20 of them were written
    as &#x0361; before) are written in MARC-8 with nothing replaced by them, and read back."""
    found = 0
    for path in [corpus / "marc4j" / "brkrtest_UTF8.mrc", corpus / "pymarc" / "regression45.dat"]:
        for item in records(path):
            before = texts(item.raw)
            count = sum(text.count(LIGATURE) + text.count(DOUBLE_TILDE) for *_, text in before)
            if not count:
                continue
            found += count
            written, replaced = record_to_marc8(decode_record(item.raw))
            assert [r for r in replaced if r.char in (LIGATURE, DOUBLE_TILDE)] == []
            assert b"&#x036" not in written
            with_doubles = [t for t in before if LIGATURE in t[2] or DOUBLE_TILDE in t[2]]
            assert with_doubles and set(with_doubles) <= set(texts(written))
    assert found == 12 + 19


def test_marc8_records_with_halves_read_as_the_double_mark(corpus: Path) -> None:
    """LoC authority records converted to MARC-8 by yaz: ligatures as EB/EC."""
    read = records(corpus / "derived" / "lc-authority-marc8.mrc")
    joined = [text for item in read for *_, text in texts(item.raw) if LIGATURE in text]
    halves = [
        value
        for item in read
        for field in item.parsed.fields
        if not field.is_control
        for _, value in subfields(field.data)
        if b"\xeb" in value
    ]
    assert len(joined) == len(halves) > 0
    assert all("\ufe20" not in text and "\ufe21" not in text for text in joined)


# --- what the export says about characters with no MARC-8 form --------------------------------


@pytest.fixture
def marc8_file_export(cli, tmp_path: Path) -> Path:
    out = tmp_path / "out.mrc"
    for setting in (f"file_name={out}", "format=marc", "charset=marc8", "destination=file"):
        assert cli("options", "set", "--account", ACCOUNT, setting).status == 0
    return out


def test_the_export_names_the_record_and_field_of_each_replaced_character(
    cli, save_file: SaveFile, marc8_file_export: Path
) -> None:
    quoted = valid_bib(1, data_field("500", " ", " ", "a", "The author\u2019s ligature: I\u0361U."))
    plain = valid_bib(2)
    ids = add_records(save_file, [quoted, plain])
    run = cli("export", "--account", ACCOUNT, "--json")
    assert run.status == 0, run.out + run.err
    first, second, _summary = (json.loads(line) for line in run.out.splitlines())
    assert first["id"] == ids[0] and first["outcome"] == "exported"
    assert first["replaced"] == [{"field": "500", "subfield": "a", "character": "U+2019"}]
    assert "replaced" not in second  # only when there is something to say
    written = marc8_file_export.read_bytes()
    assert b"The author&#x2019;s ligature: \xebI\xecU." in written


def test_the_text_report_notes_them_under_the_record(
    cli, save_file: SaveFile, marc8_file_export: Path
) -> None:
    dash = data_field("500", " ", " ", "a", "En dash \u2013.")
    ids = add_records(save_file, [valid_bib(1, dash)])
    run = cli("export", "--account", ACCOUNT)
    assert run.status == 0, run.out + run.err
    lines = run.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"record {ids[0]} "))
    assert lines[at + 1] == (
        "  note: 1 character written as &#xXXXX; (no MARC-8 form): U+2013 EN DASH in 500 $a"
    )
