"""The Unicode to MARC-8 encoder, checked against pymarc's MARC-8 decoder."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymarc import MARCReader, Record
from pymarc.marc8 import marc8_to_unicode

from app.core.marc.charset import decode_marc8, join_double_diacritics
from app.core.marc.marc8 import encode_marc8, is_combining, mappable_characters, record_to_marc8
from tests.fixtures.marc_records import data_field, make_record

ESC = b"\x1b"


def decode(data: bytes) -> str:
    # pymarc complains on stderr about a space inside a non-Latin set, which MARC-8 allows.
    return marc8_to_unicode(data, hide_utf8_warnings=True)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plain ASCII, 100% & more.", b"Plain ASCII, 100% & more."),
        # ANSEL diacritics go before the letter they sit on; NFD first for precomposed ones.
        ("Café", b"Caf\xe2e"),
        ("Cafe\u0301", b"Caf\xe2e"),
        ("Łódź", b"\xa1\xe2od\xe2z"),
        # Two marks on one letter keep their order, both before it.
        ("Vi\u1ec7t", b"Vi\xf2\xe3et"),
        # ANSEL has o-horn but no combining horn: o-horn with a hook is hook + o-horn.
        ("Sở", b"S\xe0\xbc"),
        # Cyrillic in G0, then back to ASCII at the end; spaces need no switch.
        ("Война и мир", ESC + b"(NwOJNA I MIR" + ESC + b"(B"),
        # Extended Cyrillic is a G1 set: ESC ) Q, and ANSEL back at the end.
        ("ё", ESC + b")Q\xc4" + ESC + b")E"),
        ("שלום", ESC + b"(2ylem" + ESC + b"(B"),
        # EACC is three bytes a character; a space means going back to ASCII.
        ("中文 書名", ESC + b"$1!04!BX" + ESC + b"(B " + ESC + b"$1!CU!5E" + ESC + b"(B"),
        # Subscripts and superscripts use the short escapes, ended by ESC s.
        ("H₂O", b"H" + ESC + b"b2" + ESC + b"sO"),
        ("x²", b"x" + ESC + b"p2" + ESC + b"s"),
    ],
)
def test_known_encodings(text: str, expected: bytes) -> None:
    data, unmappable = encode_marc8(text)
    assert data == expected
    assert unmappable == []
    assert decode(data) == nfc(text)


@pytest.mark.parametrize(
    "text",
    [
        # Marks of the same class must keep their order: not short i + grave.
        "\u045d\u0306",
        # O with ogonek, horn and acute: ANSEL has no combining horn, but has the letter
        # O-horn, which then carries the ogonek and the acute.
        "\u01ea\u031b\u0301",
        "\u01a0\u0328\u0301",
        # Hangul syllables are EACC characters; conjoining jamo compose into them.
        "\u1100\u1161 \ud55c\uad6d",
        # A compatibility ideograph normalizes to the unified one.
        "\ufa25",
    ],
)
def test_letters_with_several_marks_keep_their_meaning(text: str) -> None:
    data, unmappable = encode_marc8(text)
    assert unmappable == []
    assert decode(data) == nfc(text)


def test_characters_without_marc8_form_use_the_lossless_form_and_are_listed() -> None:
    data, unmappable = encode_marc8("Smile 😀, click ǂ, smile 😀 again, Война 😀")
    assert data == (
        b"Smile &#x1F600;, click &#x01C2;, smile &#x1F600; again, "
        + ESC
        + b"(NwOJNA "
        + ESC
        + b"(B&#x1F600;"
    )
    assert unmappable == ["😀", "ǂ"]


def test_a_mark_with_nothing_to_sit_on_is_written_in_the_lossless_form() -> None:
    # At the start, and after a character that itself had no MARC-8 form.
    data, unmappable = encode_marc8("\u0301a 😀\u0308")
    assert data == b"&#x0301;a &#x1F600;&#x0308;"
    assert unmappable == ["\u0301", "😀", "\u0308"]


def test_control_characters_never_reach_the_output_raw() -> None:
    data, unmappable = encode_marc8("a\x1fb\x1ec\x1dd\x1be\tf")
    assert not any(byte < 0x20 for byte in data)
    assert unmappable == ["\x1f", "\x1e", "\x1d", "\x1b", "\t"]


def test_every_string_ends_in_the_default_sets() -> None:
    # So each subfield can be read on its own.
    for text in ["Ελληνικά", "x₂", "ё", "中", "حكاية", "ёx₂中"]:
        data, _ = encode_marc8(text)
        assert decode(data + b"abc\xe2e") == nfc(text) + "abcé"


# --- the property: everything MARC-8 can say comes back from pymarc's decoder ----------------

# pymarc's decoder drops bytes 0x80-0x9F, where ANSEL has its non-sort marks and the zero
# width joiners, so those four characters can't come back through it.
_DROPPED_BY_PYMARC = {"\u0098", "\u009c", "\u200c", "\u200d"}
_REPERTOIRE = sorted(mappable_characters() - _DROPPED_BY_PYMARC)
_MARKS = [char for char in _REPERTOIRE if is_combining(char)]
_BASES = [char for char in _REPERTOIRE if not is_combining(char)]
# Precomposed Latin letters, which MARC-8 writes as a base letter and diacritics.
_PRECOMPOSED = [
    chr(code)
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]
    if unicodedata.normalize("NFD", chr(code)) != chr(code) and not encode_marc8(chr(code))[1]
]

_clusters = st.tuples(
    st.one_of(st.sampled_from(_BASES), st.sampled_from(_PRECOMPOSED)),
    st.lists(st.sampled_from(_MARKS), max_size=3),
).map(
    # A few MARC-8 base characters are combining marks to Unicode (Arabic superscript alef,
    # U+0670): marks after one of those are reordered by NFC ahead of it, with no base left
    # to carry them, so such a base gets none here.
    lambda cluster: cluster[0] + ("" if unicodedata.combining(cluster[0]) else "".join(cluster[1]))
)
_mappable_text = st.lists(_clusters, max_size=24).map("".join)


def test_the_repertoire_covers_every_marc8_set() -> None:
    samples = {"A", "é", "Ж", "ё", "Ω", "א", "ب", "ڤ", "中", "₂", "²", "\u0301"}
    assert samples <= set(_REPERTOIRE) | set(_PRECOMPOSED)
    assert len(_REPERTOIRE) > 16_000


@settings(max_examples=400, deadline=None)
@given(_mappable_text)
def test_pymarc_decodes_what_was_encoded(text: str) -> None:
    data, unmappable = encode_marc8(text)
    assert unmappable == []
    assert decode(data) == nfc(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_round_trips_apart_from_what_is_listed(text: str) -> None:
    data, unmappable = encode_marc8(text)
    # Read back as ExportDesk reads MARC-8: pymarc's decoding, each ligature and double
    # tilde joined into one mark (see the tests of double marks below); the text's own
    # half marks are joined the same way, so either spelling compares equal.
    decoded = decode_marc8(data)
    if not unmappable:
        expected = join_double_diacritics(nfc(text))
        assert decoded == "".join(c for c in expected if c not in _DROPPED_BY_PYMARC)
    for char in unmappable:
        assert f"&#x{ord(char):04X};" in decoded


# --- real MARC-8 records ---------------------------------------------------------------------

CORPUS_MARC8 = [
    "derived/lc-authority-marc8.mrc",
    "pymarc/marc8.dat",
    "marc4j/brkrtest.mrc",
    "marc-perl/marc-charset/cjk1.marc",
    "marc-perl/marc-charset/cyrillic.marc",
    "marc-perl/marc-charset/hebrew1.marc",
]


def _raw_records(path: Path) -> list[Record]:
    with path.open("rb") as handle:
        return [r for r in MARCReader(handle, to_unicode=False, permissive=True) if r is not None]


@pytest.mark.parametrize("name", CORPUS_MARC8)
def test_corpus_text_decoded_then_encoded_decodes_the_same(corpus: Path, name: str) -> None:
    checked = 0
    for record in _raw_records(corpus / name):
        for field in record.fields:
            raw_values = [field.data] if field.control_field else [s.value for s in field.subfields]
            for raw in raw_values:
                raw_bytes = raw.encode("latin-1") if isinstance(raw, str) else raw
                text = decode(raw_bytes)
                data, unmappable = encode_marc8(text)
                assert unmappable == [], (name, field.tag, text)
                assert decode(data) == nfc(text), (name, field.tag, text)
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("name", CORPUS_MARC8)
def test_corpus_records_rewritten_in_marc8_read_back_the_same(corpus: Path, name: str) -> None:
    with (corpus / name).open("rb") as handle:
        records = [
            r for r in MARCReader(handle, permissive=True, hide_utf8_warnings=True) if r is not None
        ]
    assert records
    for record in records:
        data, replaced = record_to_marc8(record)
        assert replaced == []
        again = Record(data=data, hide_utf8_warnings=True)
        assert again.leader[9] == " "
        assert _texts(again) == _texts(record)


def _texts(record: Record) -> list[tuple[str, str]]:
    """Each field's tag and text, leaving out 066 (which the encoder rewrites)."""
    return [
        (field.tag, nfc(field.value()) if not field.control_field else field.data)
        for field in record.fields
        if field.tag != "066"
    ]


# --- whole records ---------------------------------------------------------------------------


def test_a_record_in_marc8_has_a_blank_leader_09_and_true_lengths() -> None:
    record = make_record("Café Война 中文", extra=[data_field("500", "  ", "a", "Note 😀")])
    data, replaced = record_to_marc8(record)

    assert data[9:10] == b" "
    assert int(data[0:5]) == len(data)
    assert data.endswith(b"\x1d")
    base = int(data[12:17])
    assert data[base - 1 : base] == b"\x1e"
    again = Record(data=data, hide_utf8_warnings=True)
    assert again["245"]["a"] == "Café Война 中文 /"
    assert again["500"]["a"] == "Note &#x1F600;"
    assert [(r.tag, r.code, r.char) for r in replaced] == [("500", "a", "😀")]
    assert str(replaced[0]) == "U+1F600 GRINNING FACE in 500 $a"
    # Field 066 names the sets beyond the defaults, in tag order.
    assert again["066"].get_subfields("c") == ["$1", "(N"]
    assert [f.tag for f in again.fields][:4] == ["001", "008", "066", "100"]
    # The record itself is untouched.
    assert str(record.leader)[9] == "a"
    assert "066" not in record


def test_an_ascii_record_gets_no_066_and_loses_a_stale_one() -> None:
    record = make_record(extra=[data_field("066", "  ", "c", "(N")])
    data, _ = record_to_marc8(record)
    assert "066" not in Record(data=data)
