"""Fields to delete: the setting's patterns, and removing matching fields from a copy."""

from __future__ import annotations

import pytest
from pymarc import Field, Subfield

from app.core.errors import OptionError
from app.core.marc.fields import (
    delete_fields,
    deletes_control_number,
    parse_field_patterns,
    pattern_matches,
)
from tests.fixtures.marc_records import data_field, make_record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("029 9XX 938", ("029", "9XX", "938")),
        ("029,9xx , 938", ("029", "9XX", "938")),
        ("  029\t\n9Xx,,938  ", ("029", "9XX", "938")),
        ("9XX 9xx 029 9XX", ("9XX", "029")),
        ("", ()),
        (" , ", ()),
        ("XXX", ("XXX",)),
        ("001", ("001",)),
    ],
)
def test_patterns_are_read_from_spaces_and_commas(text: str, expected: tuple[str, ...]) -> None:
    assert parse_field_patterns(text) == expected


@pytest.mark.parametrize("entry", ["LDR", "ldr", "000"])
def test_the_leader_cannot_be_deleted(entry: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_field_patterns(f"029 {entry} 938")
    assert caught.value.key == "fields_to_delete"
    assert f"'{entry}'" in caught.value.message
    assert "leader can't be deleted" in caught.value.message


@pytest.mark.parametrize("entry", ["29", "0299", "9YY", "9X", "$a", "24 5"])
def test_a_bad_entry_is_named(entry: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_field_patterns(f"029 {entry}")
    assert caught.value.key == "fields_to_delete"
    first_bad = entry.split()[0]
    assert f"'{first_bad}' is not a tag or pattern" in caught.value.message


def test_patterns_match_digits_only() -> None:
    assert pattern_matches("9XX", "949")
    assert pattern_matches("93X", "938")
    assert not pattern_matches("93X", "948")
    assert not pattern_matches("9XX", "9AB")
    assert not pattern_matches("XXX", "LDR")
    assert pattern_matches("029", "029")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [("001", True), ("00X", True), ("0XX", True), ("XXX", True), ("9XX 029", False), ("", False)],
)
def test_deleting_001_is_flagged(text: str, flagged: bool) -> None:
    assert deletes_control_number(parse_field_patterns(text)) is flagged


def test_matching_fields_leave_a_copy_and_the_record_keeps_them() -> None:
    record = make_record(
        extra=[
            data_field("029", "1 ", "a", "AU@", "b", "000012345678"),
            data_field("938", "  ", "a", "Vendor"),
            data_field("949", "  ", "a", "local"),
            Field("910", indicators=None, subfields=[Subfield("a", "x")]),
        ]
    )
    record.leader = "01234cam a2200301 i 4500"
    before = record.as_marc()

    copy = delete_fields(record, parse_field_patterns("029 9XX"))

    assert [f.tag for f in copy.fields] == ["001", "008", "100", "245", "260", "650"]
    assert str(copy.leader) == "01234cam a2200301 i 4500"
    assert record.as_marc() == before
    # The copy is independent: changing it does not reach the saved record.
    copy["245"].add_subfield("b", "changed")
    copy.leader = "99999cam a2200301 i 4500"
    copy["001"].data = "changed"
    assert record.as_marc() == before


def test_no_patterns_copy_everything() -> None:
    record = make_record()
    copy = delete_fields(record, ())
    assert copy is not record
    assert copy.as_marc() == record.as_marc()
