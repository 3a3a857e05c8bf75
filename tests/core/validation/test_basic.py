"""Level ``basic``: every element against the MARC 21 tables. Each check has a record that
breaks it and one that passes; findings that rest on incomplete tables are warnings."""

from __future__ import annotations

import pytest
from pymarc import Field

from app.core.validation import validate_record
from tests.core.validation.helpers import clean, find, only_error
from tests.fixtures.marc_builders import (
    BIB_008,
    add_raw_field,
    auth_record,
    bib_record,
    data_field,
    marc,
    set_leader,
    with_field,
)


def check(record_bytes: bytes, level: str = "basic"):  # type: ignore[no-untyped-def]
    return validate_record(record_bytes, level)


# --- tags -------------------------------------------------------------------------------------


def test_tag_defined_by_nobody_is_an_error() -> None:
    record = bib_record(extra=[data_field("859", "4", "0", "u", "https://example.org")])
    message = only_error(check(marc(record)), "859")
    assert "not defined" in message.message
    # Structure does not look at tags.
    clean(check(marc(record), "structure"))


def test_non_numeric_tag_is_an_error(good_bib: bytes) -> None:
    damaged = add_raw_field(good_bib, "CAT", b"  \x1faLIBRARIAN")
    only_error(check(damaged), "CAT")


@pytest.mark.parametrize("tag", ["590", "690", "799", "899", "910", "949", "097"])
def test_local_fields_are_accepted_without_checks(tag: str) -> None:
    record = bib_record(extra=[data_field(tag, "x", "y", "q", "anything", "q", "again")])
    clean(check(marc(record), "full"))


def test_oclc_fields_are_known() -> None:
    record = bib_record(
        extra=[
            data_field("019", " ", " ", "a", "12345", "a", "67890"),
            data_field("029", "1", " ", "a", "AU@", "b", "000041190223"),
            data_field("938", " ", " ", "a", "Baker and Taylor", "b", "BTCP", "n", "123"),
            data_field("994", " ", " ", "a", "C0", "b", "DLC"),
        ]
    )
    clean(check(marc(record), "full"))


def test_oclc_field_content_is_checked_as_warnings_only() -> None:
    record = bib_record(extra=[data_field("029", "5", " ", "a", "AU@", "q", "x")])
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "029", "warning", "ind1")
    assert find(result, "029", "warning", "$q")


def test_holdings_fields_in_a_bib_record_are_never_unknown() -> None:
    record = bib_record(
        extra=[
            data_field("853", "2", "0", "8", "1", "a", "v.", "b", "no.", "i", "(year)"),
            data_field("863", "4", "1", "8", "1.1", "a", "19", "b", "2", "i", "1996"),
            data_field("866", "3", "0", "8", "0", "a", "v.1-10"),
            data_field("876", " ", " ", "a", "item 1"),
        ]
    )
    result = check(marc(record), "full")
    assert not result.has_errors, result.errors
    bad = bib_record(extra=[data_field("853", "2", "0", "8", "1", "@", "x")])
    result = check(marc(bad))
    assert not result.has_errors
    assert find(result, "853", "warning", "$@")


def test_obsolete_field_is_a_warning() -> None:
    record = bib_record(extra=[data_field("440", " ", "0", "a", "Series ;", "v", "1")])
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "440", "warning", text="obsolete")


# --- repeatability ----------------------------------------------------------------------------


def test_non_repeatable_field_twice_is_an_error() -> None:
    record = bib_record(extra=[data_field("245", "1", "0", "a", "Another title.")])
    message = only_error(check(marc(record)), "245")
    assert "not repeatable" in message.message
    repeatable = bib_record(extra=[data_field("650", " ", "0", "a", "Summer.")])
    clean(check(marc(repeatable)))


def test_non_repeatable_control_field_twice_is_an_error(good_bib: bytes) -> None:
    twice = add_raw_field(good_bib, "008", BIB_008.encode())
    only_error(check(twice), "008")


def test_non_repeatable_subfield_twice_is_an_error() -> None:
    record = bib_record(title=data_field("245", "1", "0", "a", "Summerland", "a", "again"))
    message = only_error(check(marc(record)), "245", "$a")
    assert "not repeatable" in message.message
    repeatable = bib_record(
        title=data_field("245", "1", "0", "a", "Summerland.", "n", "Part 1,", "n", "Part 2.")
    )
    clean(check(marc(repeatable)))


# --- indicators and subfields -----------------------------------------------------------------


def test_undefined_indicator_value_is_an_error() -> None:
    record = bib_record(title=data_field("245", "5", "0", "a", "Summerland."))
    message = only_error(check(marc(record)), "245", "ind1")
    assert "0 (No added entry), 1 (Added entry)" in message.message


def test_blank_in_an_undefined_indicator_only() -> None:
    record = bib_record(extra=[data_field("500", "1", " ", "a", "A note.")])
    only_error(check(marc(record)), "500", "ind1")


def test_obsolete_indicator_value_is_a_warning() -> None:
    record = bib_record(extra=[data_field("082", " ", "0", "a", "813.54", "2", "23")])
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "082", "warning", "ind1", "obsolete")


def test_undefined_subfield_is_an_error() -> None:
    record = bib_record(title=data_field("245", "1", "0", "a", "Summerland", "x", "oops"))
    message = only_error(check(marc(record)), "245", "$x")
    assert "$a" in message.message  # says which subfields are defined


def test_obsolete_subfield_is_a_warning() -> None:
    record = bib_record(title=data_field("245", "1", "0", "a", "Summerland", "d", "old"))
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "245", "warning", "$d", "obsolete")


def test_empty_subfield_is_a_warning() -> None:
    record = bib_record(extra=[data_field("500", " ", " ", "a", "")])
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "500", "warning", "$a", "empty")


def test_an_empty_subfield_is_found_in_its_own_field_only() -> None:
    # One search over the record finds it (issue 16); only its field is then looked at.
    record = bib_record(
        extra=[
            data_field("500", " ", " ", "a", "Note."),
            data_field("504", " ", " ", "a", "Bibliography."),
            data_field("500", " ", " ", "a", "Another note.", "5", ""),  # empty, at the end
        ]
    )
    result = check(marc(record), "full")
    assert not result.has_errors
    assert [(m.tag, m.occurrence, m.where) for m in result.messages] == [("500", 2, "$5")]


def test_control_field_may_not_hold_subfields(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "003", b"\x1faDLC")
    only_error(check(damaged), "003")


def test_malformed_linkage_subfield_is_an_error() -> None:
    record = bib_record(extra=[data_field("500", " ", " ", "6", "880-x", "a", "Note.")])
    only_error(check(marc(record)), "500", "$6")


def test_880_is_checked_against_the_field_it_stands_for() -> None:
    good = bib_record(
        title=data_field("245", "1", "0", "6", "880-01", "a", "Moskva."),
        extra=[data_field("880", "1", "0", "6", "245-01/(N", "a", "Москва.")],
    )
    clean(check(marc(good), "full"))
    bad = bib_record(
        title=data_field("245", "1", "0", "6", "880-01", "a", "Moskva."),
        extra=[data_field("880", "1", "0", "6", "245-01/(N", "a", "Москва.", "x", "?")],
    )
    message = only_error(check(marc(bad)), "880", "$x")
    assert "for 245" in message.message


def test_880_must_start_with_linkage() -> None:
    record = bib_record(extra=[data_field("880", "1", "0", "a", "Москва.")])
    only_error(check(marc(record)), "880", "$6")


# --- leader codes -----------------------------------------------------------------------------


def test_leader_coded_positions(good_bib: bytes) -> None:
    only_error(check(set_leader(good_bib, 5, b"q")), "LDR", "position 05")
    only_error(check(set_leader(good_bib, 18, b"x")), "LDR", "position 18")
    clean(check(set_leader(good_bib, 18, b"i")))


def test_oclc_encoding_levels_are_warnings(good_bib: bytes) -> None:
    result = check(set_leader(good_bib, 17, b"I"))
    assert not result.has_errors
    assert find(result, "LDR", "warning", "position 17", "OCLC")
    only_error(check(set_leader(good_bib, 17, b"Q")), "LDR", "position 17")


def test_authority_leader_positions(good_auth: bytes) -> None:
    only_error(check(set_leader(good_auth, 17, b"x")), "LDR", "position 17")
    clean(check(set_leader(good_auth, 17, b"o")))


# --- 008, 006, 007 ----------------------------------------------------------------------------


def test_008_must_be_40_characters() -> None:
    record = bib_record(f008=BIB_008[:39])
    only_error(check(marc(record)), "008", "length")


def test_008_codes_for_the_material_type() -> None:
    # Books: 008/22 target audience; 'x' is not a code.
    bad = bib_record(f008=BIB_008[:22] + "x" + BIB_008[23:])
    message = only_error(check(marc(bad)), "008", "position 22")
    assert "books" in message.message
    good = bib_record(f008=BIB_008[:22] + "j" + BIB_008[23:])
    clean(check(marc(good)))


def test_008_positions_checked_as_the_leader_says() -> None:
    # The same 008/18-21 "abcd" is four illustration codes for a book, but not relief codes
    # for a map? It is: both lists have a-d. Use 'l' (Samples): books only.
    f008 = BIB_008[:18] + "l   " + BIB_008[22:]
    clean(check(marc(bib_record(f008=f008))))
    as_map = bib_record(leader="00000cem a2200000 a 4500", f008=f008[:25] + "a" + f008[26:])
    assert find(check(marc(as_map)), "008", "error", "position 18-21")


def test_008_each_character_positions() -> None:
    # 008/24-27 nature of contents: up to four one-letter codes.
    good = BIB_008[:24] + "bi  " + BIB_008[28:]
    clean(check(marc(bib_record(f008=good))))
    bad = BIB_008[:24] + "b!  " + BIB_008[28:]
    only_error(check(marc(bib_record(f008=bad))), "008", "position 24-27")


def test_008_undefined_positions_hold_blank_or_fill() -> None:
    # Books 008/32 is undefined (it once held "main entry in body", now obsolete).
    obsolete = BIB_008[:32] + "1" + BIB_008[33:]
    result = check(marc(bib_record(f008=obsolete)))
    assert not result.has_errors
    assert find(result, "008", "warning", "position 32")
    bad = BIB_008[:32] + "x" + BIB_008[33:]
    only_error(check(marc(bib_record(f008=bad))), "008", "position 32")


def test_008_whole_value_positions() -> None:
    # Visual materials 008/18-20 running time: 001-999, 000, ---, nnn, |||.
    leader = "00000cgm a2200000 a 4500"
    base = "240101s2024    nyu"
    tail = " g" + " " * 10 + "vleng d"
    good = base + "120" + tail
    assert len(good) == 40
    clean(check(marc(bib_record(leader=leader, f008=good))))
    bad = base + "12x" + tail
    only_error(check(marc(bib_record(leader=leader, f008=bad))), "008", "position 18-20")


def test_authority_008() -> None:
    record = auth_record()
    f008 = record["008"].data
    record["008"].data = f008[:9] + "q" + f008[10:]
    only_error(check(marc(record)), "008", "position 09")


def test_006_form_and_codes() -> None:
    good = Field(tag="006", data="m     o  d        ")
    clean(check(marc(bib_record(extra=[good]))))
    bad_form = Field(tag="006", data="x     o  d        ")
    only_error(check(marc(bib_record(extra=[bad_form]))), "006", "position 00")
    bad_code = Field(tag="006", data="m     o  !        ")
    only_error(check(marc(bib_record(extra=[bad_code]))), "006", "position 09")
    short = Field(tag="006", data="m     o  d")
    only_error(check(marc(bib_record(extra=[short]))), "006", "length")


def test_007_category_codes_and_length() -> None:
    clean(check(marc(bib_record(extra=[Field(tag="007", data="cr |||||||||||")]))))
    clean(check(marc(bib_record(extra=[Field(tag="007", data="cr")]))))
    only_error(check(marc(bib_record(extra=[Field(tag="007", data="xr")]))), "007", "position 00")
    only_error(check(marc(bib_record(extra=[Field(tag="007", data="cx")]))), "007", "position 01")
    long = Field(tag="007", data="ta" + "|" * 5)
    only_error(check(marc(bib_record(extra=[long]))), "007", "length")


def test_005_format_is_a_warning() -> None:
    record = bib_record()
    record["005"].data = "2024-01-01"
    result = check(marc(record))
    assert not result.has_errors
    assert find(result, "005", "warning")
