"""The editor's text form (app/core/marc/mrk.py): bytes to text and back, byte for byte when
nothing changed, in the record's own encoding and normalization when something did."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from pymarc import Field

from app.core.marc.iso2709 import build_record, parse_record
from app.core.marc.mnemonic import read_mnemonic
from app.core.marc.mrk import (
    TextError,
    add_fields,
    escape,
    field_line,
    parse_fields,
    record_lines,
    record_text,
    text_to_record,
    unescape,
    with_constant_data,
    write_encoding,
)
from app.core.marc.reading import read_records
from app.core.marc.readresults import RecordRead
from app.core.marc.record import Field as MarcField
from app.core.marc.record import ParsedRecord
from tests.fixtures.marc_builders import bib_record, data_field, marc


def utf8_record(*extra: Field) -> bytes:
    return marc(bib_record(extra=extra))


def marc8_record() -> bytes:
    """A MARC-8 record (leader/09 blank) with an e acute in 245 (ANSEL E2 before the e)."""
    fields = [
        MarcField("001", b"m8-1"),
        MarcField("008", b"240101s2024    nyu           000 0 eng d"),
        MarcField("245", b"10\x1faCaf\xe2e /\x1fcby someone."),
    ]
    return build_record("00000nam  2200000 a 4500", fields)


def test_dollar_and_braces_are_mnemonics_in_one_pass() -> None:
    assert escape("US$ 5 {x}") == "US{dollar} 5 {lcub}x{rcub}"
    assert unescape("US{dollar} 5 {lcub}x{rcub}") == "US$ 5 {x}"
    # One pass: the text "{dollar}" itself is written with braces as mnemonics.
    assert escape("{dollar}") == "{lcub}dollar{rcub}"
    assert unescape("{lcub}dollar{rcub}") == "{dollar}"
    assert unescape("{copy} stays") == "{copy} stays"


def test_the_mrk_importer_reads_the_brace_mnemonics(tmp_path: Path) -> None:
    text = "=LDR  00000nam a2200000 a 4500\n=245  10$aA {lcub}b{rcub} $bUS{dollar}\n"
    (result,) = read_mnemonic(io.BytesIO(text.encode()), "x.mrk")
    assert isinstance(result, RecordRead)
    assert result.parsed.first("245") == MarcField("245", b"10\x1faA {b} \x1fbUS$")
    assert result.notes == ()


def test_text_shows_one_field_a_line_with_blanks_as_backslashes() -> None:
    raw = utf8_record(data_field("500", " ", " ", "a", "Costs $5 {approx.}"))
    lines = record_text(raw).splitlines()
    assert lines[0] == "=LDR  " + parse_record(raw).leader.replace(" ", "\\")
    assert "=001  rec0001" in lines
    assert "=008  240101s2024\\\\\\\\nyu\\\\\\\\\\\\\\\\\\\\\\000\\0\\eng\\d" in lines
    assert "=245  10$aSummerland /$cMichael Chabon." in lines
    assert lines[-1] == "=500  \\\\$aCosts {dollar}5 {lcub}approx.{rcub}"


def test_unchanged_text_gives_the_stored_bytes_themselves() -> None:
    raw = marc8_record()
    edited = text_to_record(record_text(raw), raw)
    assert edited.raw is raw and not edited.changed


def test_a_changed_field_keeps_marc8_and_the_other_fields_their_bytes() -> None:
    raw = marc8_record()
    text = record_text(raw).replace("$cby someone.", "$cby José.")
    assert "Café" in text  # shown decoded
    edited = text_to_record(text, raw)
    after = parse_record(edited.raw)
    assert after.leader[9] == " "  # still MARC-8
    title = after.first("245")
    assert title is not None
    assert title.data == b"10\x1faCaf\xe2e /\x1fcby Jos\xe2e."  # the acute before the e
    assert after.fields[:2] == parse_record(raw).fields[:2]


def test_characters_marc8_lacks_are_written_as_references_and_listed() -> None:
    raw = marc8_record()
    text = record_text(raw).replace("by someone.", "by someone ∞.")
    edited = text_to_record(text, raw)
    assert edited.replaced == ("∞",)
    assert b"&#x221E;" in edited.raw


def test_a_decomposed_utf8_record_stays_decomposed() -> None:
    nfd = unicodedata.normalize("NFD", "Brontë")
    raw = utf8_record(data_field("100", "1", " ", "a", nfd))
    text = record_text(raw)
    assert "Brontë" in text  # the editor shows composed text
    edited = text_to_record(text + "=500  \\\\$aNote by Zoë.\n", raw)
    note = parse_record(edited.raw).first("500")
    assert note is not None
    assert note.data.decode() == "  \x1fa" + unicodedata.normalize("NFD", "Note by Zoë.")
    brontë = [f for f in parse_record(edited.raw).all("100")][-1]
    assert brontë.data.decode().endswith(nfd)  # kept as it was


def test_lines_that_cant_be_read_are_named_by_number() -> None:
    raw = utf8_record()
    lines = record_text(raw).splitlines()
    lines[3] = "245 10$aNo equals sign"
    lines.insert(5, "=5X")
    lines.append("=650  9")
    with pytest.raises(TextError) as raised:
        text_to_record("\n".join(lines), raw)
    assert [(e.line, e.message.split(":")[0]) for e in raised.value.errors] == [
        (4, "not a field line ('=TAG  ...')"),
        (6, "not a field line ('=TAG  ...')"),
        (len(lines), "field 650 has no indicators (write \\\\ for two blanks)"),
    ]
    with pytest.raises(TextError, match="no leader"):
        text_to_record("=245  10$aTitle\n")
    with pytest.raises(TextError, match="the leader is 10 characters long"):
        text_to_record("=LDR  00000nam\\a\n=245  10$aTitle\n")


def test_a_new_record_from_text_takes_its_encoding_from_the_leader() -> None:
    text = "=LDR  00000nam\\\\2200000\\a\\4500\n=001  x\n=245  10$aCafé\n"
    raw = text_to_record(text).raw
    title = parse_record(raw).first("245")
    assert title is not None and title.data == b"10\x1faCaf\xe2e"
    assert record_text(raw).splitlines()[1:] == text.splitlines()[1:]


def test_add_fields_in_tag_order_never_twice_in_the_records_encoding() -> None:
    fields, errors = parse_fields("=LDR  ignored\n=949  \\\\$aLOCAL$bCafé\n=590  \\\\$aNote\n")
    assert errors == []
    record = parse_record(marc8_record())
    added, count = add_fields(record, fields)
    assert count == 2
    assert [f.tag for f in added.fields] == ["001", "008", "245", "590", "949"]
    assert added.fields[-1].data == b"  \x1faLOCAL\x1fbCaf\xe2e"
    again, count = add_fields(added, fields)
    assert count == 0 and again is added


def test_constant_data_comes_after_fields_to_delete() -> None:
    fields, _ = parse_fields("=949  \\\\$aLOCAL\n")
    record = ParsedRecord(
        "00000nam a2200000 a 4500",
        (MarcField("001", b"x"), MarcField("938", b"  \x1faVendor"), MarcField("245", b"10\x1faT")),
    )
    sent = with_constant_data(record, ("9XX",), fields)
    assert [f.tag for f in sent.fields] == ["001", "245", "949"]
    assert with_constant_data(sent, (), fields) is sent


# -- the corpus -----------------------------------------------------------------------------


def corpus_records(corpus: Path) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix not in (".json", ".md"):
            for item in read_records(path):
                if isinstance(item, RecordRead):
                    found.append((f"{path.name}#{item.number}", item.raw))
    return found


def test_every_corpus_record_shown_and_saved_back_is_byte_identical(corpus: Path) -> None:
    records = corpus_records(corpus)
    assert len(records) > 1400
    different = [name for name, raw in records if text_to_record(record_text(raw), raw).raw != raw]
    assert different == []


def test_every_corpus_record_edited_keeps_every_other_field_byte_for_byte(corpus: Path) -> None:
    """Adding a field re-encodes only that field: the others keep their bytes, the record its
    encoding (MARC-8 stays MARC-8, in bytes MARC-8 can hold) and the new field reads back as
    typed."""
    line = "=590  \\\\$aLocal note: café"
    problems = []
    for name, raw in corpus_records(corpus):
        before = parse_record(raw)
        after = parse_record(text_to_record(record_text(raw) + line + "\n", raw).raw)
        added = [f for f in after.fields if f.tag == "590" and f not in before.fields]
        encoding = write_encoding(before)
        if (
            len(added) != 1
            or [f for f in after.fields if f is not added[0] and f != added[0]]
            != list(before.fields)
            or after.leader[5:10] != before.leader[5:10]
            or field_line(added[0], encoding) != line
            or (encoding == "MARC-8" and added[0].data != b"  \x1faLocal note: caf\xe2e")
        ):
            problems.append(name)
    assert problems == []


def test_every_corpus_record_read_back_without_its_bytes_says_the_same(corpus: Path) -> None:
    """The text alone (no stored bytes to keep) makes a record that shows the same text:
    the parser and the writer agree on every field the corpus has that can be typed."""
    differ = []
    for name, raw in corpus_records(corpus):
        lines = record_lines(parse_record(raw))
        if any(
            "\u2400" <= char <= "\u2424" or unicodedata.category(char) == "Cc"
            for line in lines
            for char in line
        ):
            continue  # a control character (shown as its picture): kept only as stored
        try:
            again = record_lines(parse_record(text_to_record("\n".join(lines), None).raw))
        except TextError:
            continue  # a field no one could type (a subfield code 'ä'): kept only as stored
        if again[1:] != lines[1:]:
            differ.append(name)
    assert differ == []
