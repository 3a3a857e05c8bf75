"""Numbers read from outside: a record's leader, an HTTP status line, an SRU answer, a
Retry-After header. Python's ``str.isdigit`` is true of ², ³ and ¹ (bytes B2, B3 and B9 read as
Latin-1), which ``int`` can't read; each place must say what is wrong, never raise. And
numbers that must be ASCII (an authorization, an OCLC number) are not taken in another
script's digits, which ``\\d`` matches."""

from __future__ import annotations

import pytest
from pymarc import Field

from app.core.sources.faults import TargetError
from app.core.sources.hits import SearchQuery
from app.core.sources.kept_alive import BadAnswer
from app.core.sources.retry import retry_after
from app.core.validation.validator import validate_record
from tests.core.sources.sru_answers import sru_answer, sru_answering
from tests.core.sources.test_kept_alive import client, scripted
from tests.fixtures.exporting import valid_bib
from tests.fixtures.marc_builders import bib_record, data_field, marc

LOOKALIKES = ["\u00b2", "\u00b3", "\u00b9"]  # ² ³ ¹


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_a_leader_length_or_base_address_holding_one_is_reported(digit: str) -> None:
    raw = valid_bib(1)
    byte = digit.encode("latin-1")
    length_wrong = byte + raw[1:]
    base_wrong = raw[:13] + byte + raw[14:]
    for record, where in ((length_wrong, "position 00-04"), (base_wrong, "position 12-16")):
        result = validate_record(record, "full")
        found = [m for m in result.messages if m.tag == "LDR" and m.where == where]
        assert found and found[0].severity == "error", result.messages
        assert digit in found[0].message  # the cataloger sees what the leader holds


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_an_http_status_holding_one_is_a_bad_answer(digit: str) -> None:
    answer = f"HTTP/1.1 2{digit}0 OK\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
    with scripted(([answer], False)) as server, pytest.raises(BadAnswer, match="HTTP answer"):
        client(server.url).get("/sru")


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_an_sru_answer_whose_numbers_hold_one(digit: str) -> None:
    with (
        sru_answering(sru_answer(f"1{digit}")) as sru,
        pytest.raises(TargetError, match="numberOfRecords"),
    ):
        sru.search(SearchQuery("title"))
    with sru_answering(sru_answer(position=digit)) as sru:
        page = sru.search(SearchQuery("title"))
    assert page.total == 1
    assert [hit.position for hit in page.hits] == [1]  # counted, as with no position


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_a_retry_after_holding_one_is_not_a_wait(digit: str) -> None:
    assert retry_after(f"1{digit}") is None
    assert retry_after("12") == 12.0


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_a_linkage_holding_one_is_not_a_linkage(digit: str) -> None:
    linked = valid_bib(2, data_field("500", " ", " ", "6", f"88{digit}-01", "a", "A note"))
    result = validate_record(linked, "full")
    assert any("is not a linkage" in m.message for m in result.messages), result.messages


@pytest.mark.parametrize("digit", LOOKALIKES)
def test_a_005_holding_one_is_not_a_date_and_time(digit: str) -> None:
    record = bib_record()
    record.remove_fields("005")
    record.add_ordered_field(Field(tag="005", data="20241231235959.0"))
    raw = marc(record)
    odd = raw.replace(b"235959.0", b"23595" + digit.encode("latin-1") + b".0")  # one byte for one

    def warned(record: bytes) -> bool:
        return any("date and time" in m.message for m in validate_record(record, "full").messages)

    assert not warned(raw)
    assert odd != raw and warned(odd)


def test_an_authorization_or_oclc_number_in_another_scripts_digits_is_not_one() -> None:
    from app.core.errors import UsageError
    from app.core.marc import parse_record, summarize
    from app.core.settings.accounts import check_authorization

    arabic_indic = "\u0661\u0660\u0660-\u0661\u0662\u0663-\u0664\u0665\u0666"  # 100-123-456
    assert check_authorization(" 100-123-456 ") == "100-123-456"
    with pytest.raises(UsageError, match="is not an authorization"):
        check_authorization(arabic_indic)
    for number, found in (("(OCoLC)ocm00012345", "12345"), ("(OCoLC)\u0661\u0662\u0663", None)):
        raw = valid_bib(4, data_field("035", " ", " ", "a", number))
        assert summarize(parse_record(raw)).oclc_number == found
