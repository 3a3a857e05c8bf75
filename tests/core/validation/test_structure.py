"""Level ``structure``: leader, directory, terminators, indicators, subfield codes, record type,
encoding and required fields. Each check has a record that breaks it and one that passes."""

from __future__ import annotations

import pytest

from app.core.errors import UsageError
from app.core.validation import LEVELS, validate_record
from tests.core.validation.helpers import clean, find, only_error
from tests.fixtures.marc_builders import (
    add_raw_field,
    assemble,
    auth_record,
    bib_record,
    data_field,
    marc,
    set_leader,
    split,
    with_field,
)


def test_levels_are_the_four_connexion_levels() -> None:
    assert LEVELS == ("none", "structure", "basic", "full")


@pytest.mark.parametrize("level", ["structure", "basic", "full"])
def test_a_good_record_passes_every_level(good_bib: bytes, good_auth: bytes, level: str) -> None:
    clean(validate_record(good_bib, level))
    clean(validate_record(good_auth, level))


def test_level_none_checks_nothing_but_still_reads_the_control_number(good_bib: bytes) -> None:
    broken = set_leader(good_bib, 0, b"99999")
    result = validate_record(broken, "none")
    assert result.messages == []
    assert result.control_number == "rec0001"


def test_unknown_level_or_type_is_a_usage_error(good_bib: bytes) -> None:
    with pytest.raises(UsageError, match="validation level"):
        validate_record(good_bib, "thorough")
    with pytest.raises(UsageError, match="record type"):
        validate_record(good_bib, "full", "holdings")


def test_result_reports_type_control_number_and_message_json(good_bib: bytes) -> None:
    result = validate_record(set_leader(good_bib, 0, b"00001"), "structure")
    assert result.record_type == "bib"
    assert result.control_number == "rec0001"
    assert result.has_errors
    assert result.errors == [m for m in result.messages if m.severity == "error"]
    data = result.errors[0].to_json()
    assert list(data)[:3] == ["tag", "severity", "message"]
    assert data["tag"] == "LDR"
    assert data["severity"] == "error"


# --- leader -----------------------------------------------------------------------------------


def test_record_length_in_leader_must_match(good_bib: bytes) -> None:
    wrong = set_leader(good_bib, 0, b"%05d" % (len(good_bib) + 5))
    message = only_error(validate_record(wrong, "structure"), "LDR", "position 00-04")
    assert str(len(good_bib)) in message.message


def test_record_length_must_be_digits(good_bib: bytes) -> None:
    only_error(validate_record(set_leader(good_bib, 0, b"12a45"), "structure"), "LDR")


def test_record_must_end_with_a_record_terminator(good_bib: bytes) -> None:
    cut = good_bib[:-1]
    result = validate_record(cut, "structure")
    assert find(result, "LDR", "error", text="record terminator")


def test_too_short_to_hold_a_leader() -> None:
    result = validate_record(b"00012nam", "structure")
    only_error(result, "LDR")
    assert result.control_number is None


def test_indicator_and_subfield_code_counts_must_be_2(good_bib: bytes) -> None:
    result = validate_record(set_leader(good_bib, 10, b"3"), "structure")
    only_error(result, "LDR", "position 10")
    result = validate_record(set_leader(good_bib, 11, b"1"), "structure")
    only_error(result, "LDR", "position 11")


def test_entry_map_must_be_4500(good_bib: bytes) -> None:
    only_error(
        validate_record(set_leader(good_bib, 20, b"    "), "structure"), "LDR", "position 20-23"
    )


def test_base_address_must_point_after_the_directory(good_bib: bytes) -> None:
    base = int(good_bib[12:17])
    result = validate_record(set_leader(good_bib, 12, b"%05d" % (base + 3)), "structure")
    assert find(result, "LDR", "error", "position 12-16")
    # The fields are still found through the directory terminator: the 001 is still read.
    assert result.control_number == "rec0001"


@pytest.mark.parametrize(("value", "severity"), [(b"q", "error"), (b"b", "warning")])
def test_type_of_record_must_be_defined(good_bib: bytes, value: bytes, severity: str) -> None:
    result = validate_record(set_leader(good_bib, 6, value), "structure")
    assert [m.severity for m in result.messages] == [severity]
    assert result.messages[0].where == "position 06"


def test_bibliographic_level_must_be_defined(good_bib: bytes) -> None:
    only_error(validate_record(set_leader(good_bib, 7, b"x"), "structure"), "LDR", "position 07")
    clean(validate_record(set_leader(good_bib, 7, b"c"), "structure"))


def test_authority_record_type_is_z(good_auth: bytes) -> None:
    wrong = set_leader(good_auth, 6, b"a")
    only_error(validate_record(wrong, "structure", "auth"), "LDR", "position 06")


def test_auto_type_follows_leader_06(good_bib: bytes, good_auth: bytes) -> None:
    assert validate_record(good_bib, "structure").record_type == "bib"
    assert validate_record(good_auth, "structure").record_type == "auth"


def test_authority_record_checked_as_bibliographic_is_an_error(good_auth: bytes) -> None:
    result = validate_record(good_auth, "structure", "bib")
    assert find(result, "LDR", "error", "position 06", "authority")


def test_holdings_records_are_reported_as_not_validated(good_bib: bytes) -> None:
    result = validate_record(set_leader(good_bib, 6, b"y"), "full")
    assert [m.severity for m in result.messages] == ["warning"]
    assert "holdings" in result.messages[0].message


# --- directory and terminators ----------------------------------------------------------------


def test_directory_length_must_be_a_multiple_of_12(good_bib: bytes) -> None:
    base = int(good_bib[12:17])
    damaged = good_bib[: base - 2] + good_bib[base - 1 :]  # one directory byte fewer
    damaged = set_leader(damaged, 12, b"%05d" % (base - 1))
    damaged = set_leader(damaged, 0, b"%05d" % len(damaged))
    result = validate_record(damaged, "structure")
    assert find(result, "DIR", "error", text="multiple of 12")


def test_fields_behind_a_damaged_directory_are_not_checked(good_bib: bytes) -> None:
    base = int(good_bib[12:17])
    damaged = good_bib[: base - 2] + good_bib[base - 1 :]
    damaged = set_leader(damaged, 12, b"%05d" % (base - 1))
    damaged = set_leader(damaged, 0, b"%05d" % len(damaged))
    result = validate_record(damaged, "full")
    # Only structural messages, and one warning that the fields were left alone.
    assert {m.tag for m in result.messages} <= {"LDR", "DIR"}
    assert find(result, "DIR", "warning", text="not checked")


def test_directory_problems_are_summarized(good_bib: bytes) -> None:
    leader, fields = split(good_bib)
    raw = assemble(leader, fields * 10)
    base = int(raw[12:17])
    # Break every entry's starting position: forty problems, twenty listed, then a count.
    directory = bytearray(raw[24 : base - 1])
    for i in range(0, len(directory), 12):
        directory[i + 7 : i + 12] = b"9999x"
    damaged = raw[:24] + bytes(directory) + raw[base - 1 :]
    result = validate_record(damaged, "structure")
    assert len(result.messages) < 30
    assert find(result, "DIR", "error", text="more problems")


def test_directory_entry_must_stay_inside_the_record(good_bib: bytes) -> None:
    leader, fields = split(good_bib)
    raw = assemble(leader, fields)
    entry = raw.index(b"245")  # the directory entry of 245 (tags precede data)
    damaged = raw[: entry + 3] + b"9999" + raw[entry + 7 :]
    result = validate_record(damaged, "structure")
    assert find(result, "245", "error", text="past the end")


def test_directory_tags_must_be_letters_or_digits(good_bib: bytes) -> None:
    entry = good_bib.index(b"650")
    damaged = good_bib[:entry] + b"6 0" + good_bib[entry + 3 :]
    assert find(validate_record(damaged, "structure"), "DIR", "error", text="tag")


def test_field_must_end_where_the_directory_says(good_bib: bytes) -> None:
    leader, fields = split(good_bib)
    raw = assemble(leader, fields)
    entry = raw.index(b"245")
    length = int(raw[entry + 3 : entry + 7])
    damaged = raw[: entry + 3] + b"%04d" % (length - 2) + raw[entry + 7 :]
    result = validate_record(damaged, "structure")
    assert find(result, "245", "error", text="field terminator")


def test_terminator_inside_a_field_is_an_error(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "245", b"10\x1faSummer\x1eland")
    assert find(validate_record(damaged, "structure"), "245", "error", text="inside its data")


def test_overlapping_fields_are_an_error(good_bib: bytes) -> None:
    leader, fields = split(good_bib)
    raw = assemble(leader, fields)
    first = raw.index(b"001")
    second = raw.index(b"003", first)
    # Make the 003 entry start where the 001 starts: both now claim the same bytes.
    damaged = raw[: second + 7] + raw[first + 7 : first + 12] + raw[second + 12 :]
    result = validate_record(damaged, "structure")
    assert result.has_errors


# --- fields -----------------------------------------------------------------------------------


def test_data_field_needs_two_indicators(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "650", b"\x1faBaseball")
    assert find(validate_record(damaged, "structure"), "650", "error", "ind1")


def test_three_indicators_are_an_error(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "650", b" 00\x1faBaseball")
    message = find(validate_record(damaged, "structure"), "650", "error")[0]
    assert "more than two indicators" in message.message


def test_indicator_must_be_a_single_character(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "650", b"\x14\x30\x1faBaseball")
    message = find(validate_record(damaged, "structure"), "650", "error", "ind1")[0]
    assert "hex 14" in message.message


def test_subfield_code_must_be_a_graphic_character(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "650", b" 0\x1f\x14Baseball")
    assert find(validate_record(damaged, "structure"), "650", "error", text="hex 14")
    damaged = with_field(good_bib, "650", b" 0\x1faBaseball\x1f")
    assert find(validate_record(damaged, "structure"), "650", "error", text="no subfield code")


def test_data_field_needs_subfields(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "650", b" 0")
    assert find(validate_record(damaged, "structure"), "650", "error", text="no subfields")


# --- encoding ---------------------------------------------------------------------------------


def test_invalid_utf8_is_an_error_when_leader_09_is_a(good_bib: bytes) -> None:
    assert good_bib[9:10] == b"a"
    damaged = with_field(good_bib, "245", b"10\x1faSummer\xc3land /")
    message = only_error(validate_record(damaged, "structure"), "245")
    assert "UTF-8" in message.message
    passing = with_field(good_bib, "245", "10\x1faSommerl\u00e4nd /".encode())
    clean(validate_record(passing, "structure"))


def test_control_characters_are_an_error(good_bib: bytes) -> None:
    damaged = with_field(good_bib, "245", b"10\x1faSummer\x07land /")
    assert find(validate_record(damaged, "structure"), "245", "error", text="control character")


def test_marc8_must_decode_when_leader_09_is_blank(good_bib: bytes) -> None:
    marc8 = set_leader(good_bib, 9, b" ")
    # ANSEL: combining acute (E2) before the letter, as MARC-8 writes it.
    passing = with_field(marc8, "245", b"10\x1faCaf\xe2e /")
    clean(validate_record(passing, "structure"))
    bad_escape = with_field(marc8, "245", b"10\x1faCaf\x1b(Ze /")
    message = only_error(validate_record(bad_escape, "structure"), "245")
    assert "MARC-8" in message.message
    undefined = with_field(marc8, "245", b"10\x1faCaf\xc9 /")
    assert only_error(validate_record(undefined, "structure"), "245")


def test_marc8_script_escapes_are_accepted(good_bib: bytes) -> None:
    marc8 = set_leader(good_bib, 9, b" ")
    # Basic Cyrillic as G0 ("ESC ( N"), back to ASCII ("ESC ( B").
    cyrillic = with_field(marc8, "245", b"10\x1fa\x1b(NMOSKWA\x1b(B /")
    clean(validate_record(cyrillic, "structure"))


def test_character_coding_scheme_must_be_blank_or_a(good_bib: bytes) -> None:
    only_error(validate_record(set_leader(good_bib, 9, b"u"), "structure"), "LDR", "position 09")


# --- required fields --------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["001", "008"])
def test_bib_needs_001_and_008(tag: str) -> None:
    record = bib_record()
    record.remove_fields(tag)
    only_error(validate_record(marc(record), "structure"), tag)


def test_bib_needs_245_with_a_or_k() -> None:
    record = bib_record()
    record.remove_fields("245")
    only_error(validate_record(marc(record), "structure"), "245")
    no_title = bib_record(title=data_field("245", "1", "0", "c", "Michael Chabon."))
    only_error(validate_record(marc(no_title), "structure"), "245", "$a")
    form_only = bib_record(title=data_field("245", "1", "0", "k", "Papers,", "f", "1900-1950."))
    clean(validate_record(marc(form_only), "structure"))


def test_authority_needs_exactly_one_heading() -> None:
    record = auth_record()
    record.remove_fields("100")
    only_error(validate_record(marc(record), "structure"), "1XX")
    two = auth_record(extra=[data_field("110", "2", " ", "a", "Library of Congress.")])
    only_error(validate_record(marc(two), "structure"), "110")


def test_record_over_99999_bytes_is_an_error(good_bib: bytes) -> None:
    big = good_bib
    for _ in range(12):
        big = add_raw_field(big, "500", b"  \x1fa" + b"x" * 9000)
    assert len(big) > 99_999
    result = validate_record(big, "structure")
    assert find(result, "LDR", "error", text="99,999")


def test_field_over_9999_bytes_is_an_error(good_bib: bytes) -> None:
    # pymarc writes the five-digit length of such a field into the directory, which breaks it.
    record = bib_record(extra=[data_field("500", " ", " ", "a", "x" * 10_000)])
    result = validate_record(marc(record), "structure")
    assert find(result, "DIR", "error", text="9,999")
