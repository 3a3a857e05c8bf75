"""Level ``full``: relationships between elements. Each check has a record that breaks it and
one that passes, and is silent at level ``basic``."""

from __future__ import annotations

from app.core.validation import validate_record
from tests.core.validation.helpers import clean, find, only_error
from tests.fixtures.marc_builders import BIB_008, bib_record, data_field, marc


def full(record_bytes: bytes):  # type: ignore[no-untyped-def]
    return validate_record(record_bytes, "full")


def basic(record_bytes: bytes):  # type: ignore[no-untyped-def]
    return validate_record(record_bytes, "basic")


# --- 880 linkage ------------------------------------------------------------------------------


def linked_pair(field_link: str, alternate_link: str) -> bytes:
    return marc(
        bib_record(
            title=data_field("245", "1", "0", "6", field_link, "a", "Moskva."),
            extra=[data_field("880", "1", "0", "6", alternate_link, "a", "Москва.")],
        )
    )


def test_linked_pair_passes() -> None:
    clean(full(linked_pair("880-01", "245-01/(N")))


def test_field_linking_to_a_missing_880_is_an_error() -> None:
    record = marc(bib_record(title=data_field("245", "1", "0", "6", "880-01", "a", "Moskva.")))
    message = only_error(full(record), "245", "$6")
    assert "880-01" in message.message
    clean(basic(record))


def test_880_without_its_partner_is_an_error() -> None:
    record = marc(bib_record(extra=[data_field("880", "1", "0", "6", "245-01", "a", "Москва.")]))
    message = only_error(full(record), "880", "$6")
    assert "occurrence 00" in message.message


def test_local_fields_can_be_linked_too() -> None:
    record = marc(
        bib_record(
            extra=[
                data_field("590", " ", " ", "6", "880-01", "a", "Local note."),
                data_field("880", " ", " ", "6", "590-01", "a", "Заметка."),
            ]
        )
    )
    clean(full(record))


def test_unlinked_880_with_occurrence_00_passes() -> None:
    record = marc(
        bib_record(extra=[data_field("880", " ", " ", "6", "500-00/(N", "a", "Заметка.")])
    )
    clean(full(record))


def test_occurrence_numbers_must_match() -> None:
    result = full(linked_pair("880-01", "245-02"))
    assert find(result, "245", "error", "$6")
    assert find(result, "880", "error", "$6")


def test_linkage_tags_must_match() -> None:
    result = full(linked_pair("880-01", "246-01"))
    assert result.has_errors


def test_duplicate_occurrence_numbers_are_an_error() -> None:
    record = marc(
        bib_record(
            title=data_field("245", "1", "0", "6", "880-01", "a", "Moskva."),
            extra=[
                data_field("880", "1", "0", "6", "245-01", "a", "Москва."),
                data_field("500", " ", " ", "6", "880-01", "a", "Note."),
            ],
        )
    )
    assert find(full(record), "500", "error", "$6", "already used")


# --- main entries and titles ------------------------------------------------------------------


def test_two_main_entries_are_an_error_at_full() -> None:
    record = marc(bib_record(extra=[data_field("110", "2", " ", "a", "Some body.")]))
    only_error(full(record), "110")
    clean(basic(record))


def test_uniform_title_240_with_130_is_a_warning() -> None:
    record = bib_record(extra=[data_field("240", "1", "0", "a", "Works.")])
    record.remove_fields("100")
    record.add_ordered_field(data_field("130", "0", " ", "a", "Summerland."))
    result = full(marc(record))
    assert not result.has_errors
    assert find(result, "240", "warning")


def test_leading_article_and_nonfiling_indicator_are_warnings() -> None:
    with_article = bib_record(title=data_field("245", "1", "0", "a", "The summer land."))
    result = full(marc(with_article))
    assert not result.has_errors
    message = find(result, "245", "warning", "ind2")[0]
    assert "4" in message.message
    counted = bib_record(title=data_field("245", "1", "4", "a", "The summer land."))
    clean(full(marc(counted)))
    clean(basic(marc(with_article)))


def test_nonfiling_count_not_at_a_word_boundary_is_a_warning() -> None:
    # Language 'und' (no article list): only the word boundary can be checked.
    f008 = BIB_008[:35] + "und" + BIB_008[38:]
    record = bib_record(f008=f008, title=data_field("245", "1", "2", "a", "Summerland."))
    result = full(marc(record))
    assert not result.has_errors
    assert find(result, "245", "warning", "ind2", "word")


def test_nonfiling_count_longer_than_the_title_is_a_warning() -> None:
    record = bib_record(title=data_field("245", "1", "9", "a", "Sum."))
    result = full(marc(record))
    assert not result.has_errors
    assert find(result, "245", "warning", "ind2")


# --- indicators that name a source subfield ---------------------------------------------------


def test_indicator_7_needs_subfield_2() -> None:
    missing = marc(bib_record(extra=[data_field("650", " ", "7", "a", "Baseball.")]))
    message = only_error(full(missing), "650", "$2")
    assert "second indicator '7'" in message.message
    clean(basic(missing))
    present = marc(bib_record(extra=[data_field("650", " ", "7", "a", "Baseball.", "2", "fast")]))
    clean(full(present))


# --- 008 relationships ------------------------------------------------------------------------


def test_008_type_of_date_and_dates_are_warnings() -> None:
    single_with_second = BIB_008[:6] + "s20242025" + BIB_008[15:]
    result = full(marc(bib_record(f008=single_with_second)))
    assert not result.has_errors
    assert find(result, "008", "warning", "position 11-14")
    clean(full(marc(bib_record(f008=BIB_008[:6] + "t20242023" + BIB_008[15:]))))


def test_continuing_resources_use_their_date_types() -> None:
    serial_leader = "00000cas a2200000 a 4500"
    serial_008 = "240101c20249999nyuqr p       0   a0eng d"
    clean(full(marc(bib_record(leader=serial_leader, f008=serial_008))))
    single = serial_008[:6] + "s2024    " + serial_008[15:]
    result = full(marc(bib_record(leader=serial_leader, f008=single)))
    assert not result.has_errors
    assert find(result, "008", "warning", "position 06", "continuing resource")


def test_leader_combination_without_a_008_configuration_is_a_warning() -> None:
    record = bib_record(leader="00000cts a2200000 a 4500")
    result = full(marc(record))
    assert not result.has_errors
    assert find(result, "LDR", "warning", "position 07")


# --- code lists -------------------------------------------------------------------------------


def test_instrument_codes_of_048_are_checked_as_warnings() -> None:
    good = marc(bib_record(extra=[data_field("048", " ", " ", "a", "ka01")]))
    clean(full(good))
    bad = marc(bib_record(extra=[data_field("048", " ", " ", "a", "qq01")]))
    result = full(bad)
    assert not result.has_errors
    assert find(result, "048", "warning", "$a")
