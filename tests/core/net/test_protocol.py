"""The Connexion protocol's bytes: PROTOCOL.md's test vectors, and build/parse round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import ExportDeskError, OptionError
from app.core.net.protocol import (
    MAX_STORED_REPLY_BYTES,
    MAX_VALUE_BYTES,
    FieldTooLongError,
    Incomplete,
    Parsed,
    ReplyKind,
    ReplyPatterns,
    Request,
    RequestError,
    RequestStream,
    RequestTooLargeError,
    build_request,
    classify_reply,
    parse_request,
)

RECORD = b"00026nam  2200025   4500\x1e\x1d"  # a 26-byte ISO 2709 record (leader, no fields)


def parsed(data: bytes) -> Request:
    result = parse_request(data)
    assert isinstance(result, Parsed), result
    return result.request


# --- PROTOCOL.md's field parsing vectors ('#' is a space) ------------------------------------


def test_decimal_lengths() -> None:
    request = parsed(b"U5abcdeA2fgP3hij0001012345")
    assert (request.user_id, request.logon_id, request.password) == ("abcde", "fg", "hij")
    assert request.records == (b"0001012345",)


def test_one_byte_lengths_and_spaces_read_the_same() -> None:
    assert parsed(b" UEabcde ABfg PChij 0001012345") == parsed(b"U5abcdeA2fgP3hij0001012345")


def test_decimal_length_counts_utf8_bytes_and_several_records_follow() -> None:
    data = "A17testlib user bøf".encode() + "00007æ00008123".encode()
    request = parsed(data)
    assert request.logon_id == "testlib user bøf"
    assert request.records == ("00007æ".encode(), b"00008123")


def test_zero_alone_is_an_empty_value() -> None:
    result = parse_request(b"P0U3abc")
    # The fields are read; no record has come yet.
    assert isinstance(result, Incomplete)
    assert result.partial.password == ""
    assert result.partial.user_id == "abc"


def test_a_field_cut_short_waits_for_more_bytes() -> None:
    result = parse_request(b"U3ab")
    assert isinstance(result, Incomplete)
    assert "1 more byte" in result.reason


def test_a_record_cut_short_waits_for_more_bytes() -> None:
    result = parse_request(b"0001212345")
    assert isinstance(result, Incomplete)
    assert "2 more bytes" in result.reason


def test_one_byte_length_above_0x7f() -> None:
    value = b"v" * 64
    assert parsed(b"A\x80" + value + RECORD).logon_id == value.decode()


def test_one_byte_length_0xff_is_191_bytes() -> None:
    value = b"w" * 191
    assert parsed(b"A\xff" + value + RECORD).logon_id == value.decode()


# --- Koha's observed requests, as ExportDesk's receiver reads them ---------------------------


def test_alma_logon_id_in_decimal_form_is_misread() -> None:
    # 'A15' + '01CARLI...' reads as a length of 1501: the reason the client never sends it.
    result = parse_request(b"A1501CARLI_NETWORK" + b"P2pw" + RECORD + b"\x00")
    assert isinstance(result, Incomplete)


def test_alma_logon_id_in_one_byte_form() -> None:
    request = parsed(b"AO01CARLI_NETWORK" + b"PBpw" + RECORD + b"\x00")
    assert request.logon_id == "01CARLI_NETWORK"
    assert request.password == "pw"
    assert request.end_marker


def test_a_bare_nul_is_a_bad_request() -> None:
    with pytest.raises(RequestError, match="empty request"):
        parse_request(b"\x00")


def test_fields_without_a_record_are_a_bad_request() -> None:
    with pytest.raises(RequestError, match="no record"):
        parse_request(b"U4user\x00")


def test_bytes_no_request_holds_are_refused() -> None:
    with pytest.raises(RequestError, match="0x58"):
        parse_request(b"X")
    with pytest.raises(RequestError, match="5 digits"):
        parse_request(b"00a12")


def test_lengths_over_the_limit_are_refused_before_the_bytes_come() -> None:
    with pytest.raises(RequestTooLargeError):
        parse_request(b"99999nam", max_bytes=1000)
    with pytest.raises(RequestTooLargeError):
        parse_request(b"A5000", max_bytes=1000)


def test_a_field_after_a_record_starts_the_next_request() -> None:
    data = RECORD + b"UCabc" + RECORD
    first = parse_request(data)
    assert isinstance(first, Parsed)
    assert first.request.records == (RECORD,)
    second = parse_request(data, first.end)
    assert isinstance(second, Parsed)
    assert second.request.user_id == "abc"


# --- Building requests -------------------------------------------------------------------------


def test_the_protocol_example_byte_for_byte() -> None:
    request = build_request(
        RECORD, user_id="kohauser", logon_id="01CARLI_NETWORK", password="secret"
    )
    assert request == (
        b"U\x48kohauser" + b"A\x4f01CARLI_NETWORK" + b"P\x46secret" + RECORD + b"\x00"
    )


def test_order_is_u_a_p_and_absent_fields_are_not_sent() -> None:
    assert build_request(RECORD, password="p", user_id="u") == b"UAuPAp" + RECORD + b"\x00"
    assert build_request(RECORD) == RECORD + b"\x00"
    assert build_request(RECORD, end_marker=False) == RECORD


def test_an_empty_value_is_sent_as_at_sign() -> None:
    assert build_request(RECORD, password="", end_marker=False) == b"P@" + RECORD


def test_lengths_count_utf8_bytes() -> None:
    assert build_request(RECORD, user_id="bøf", end_marker=False) == b"UD" + "bøf".encode() + RECORD


def test_191_bytes_fit_and_192_are_refused_naming_the_field() -> None:
    fits = "é" * 95 + "x"  # 191 bytes
    assert build_request(RECORD, logon_id=fits).startswith(b"A\xff")
    secret = "é" * 96  # 192 bytes
    with pytest.raises(FieldTooLongError) as raised:
        build_request(RECORD, password=secret)
    error = raised.value
    assert isinstance(error, OptionError) and isinstance(error, ExportDeskError)
    assert error.key == "password"
    assert "192 bytes" in error.message and "191" in error.message
    assert secret not in error.message and "é" not in error.message
    with pytest.raises(FieldTooLongError, match="user_id"):
        build_request(RECORD, user_id="u" * 192)
    with pytest.raises(FieldTooLongError, match="logon_id"):
        build_request(RECORD, logon_id="a" * 192)


def test_a_request_never_shows_its_password() -> None:
    request = parsed(b"PFsecret" + RECORD)
    assert "secret" not in repr(request)


# --- Round trips (hypothesis) ------------------------------------------------------------------


def _fits(value: str) -> bool:
    return len(value.encode("utf-8")) <= MAX_VALUE_BYTES


values = st.none() | st.text(max_size=191).filter(_fits)


@st.composite
def records(draw: st.DrawFn) -> bytes:
    body = draw(st.binary(max_size=300).map(lambda b: b.replace(b"\x1d", b"")))
    return b"%05d" % (len(body) + 6) + body + b"\x1d"


@settings(deadline=None)  # a busy CI machine must not fail a round trip on time
@given(record=records(), user_id=values, logon_id=values, password=values, end=st.booleans())
def test_parse_gives_back_what_build_made(
    record: bytes, user_id: str | None, logon_id: str | None, password: str | None, end: bool
) -> None:
    data = build_request(
        record, user_id=user_id, logon_id=logon_id, password=password, end_marker=end
    )
    result = parse_request(data)
    assert isinstance(result, Parsed)
    assert result.end == len(data)
    assert result.request == Request(user_id, logon_id, password, (record,))
    assert result.request.end_marker is end


@settings(deadline=None)
@given(
    record=records(),
    logon_id=values,
    password=values,
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=6),
)
def test_the_stream_reads_the_same_however_the_bytes_are_cut(
    record: bytes, logon_id: str | None, password: str | None, cuts: list[int]
) -> None:
    data = build_request(record, logon_id=logon_id, password=password) + build_request(record)
    stream = RequestStream(max_bytes=10_000)
    got: list[Request] = []
    previous = 0
    for cut in [*sorted(c for c in cuts if c < len(data)), len(data)]:
        got += stream.feed(data[previous:cut])
        previous = cut
    assert got == [Request(None, logon_id, password, (record,)), Request(records=(record,))]
    assert stream.pending == 0


def test_the_stream_reports_what_is_missing() -> None:
    stream = RequestStream()
    assert stream.feed(b"UCab") == []
    missing = stream.incomplete()
    assert missing is not None and "U field" in missing.reason


def test_a_nul_arriving_after_its_record_is_not_an_empty_request() -> None:
    stream = RequestStream()
    assert stream.feed(RECORD) == [Request(records=(RECORD,))]
    assert stream.feed(b"\x00") == []
    # A second NUL belongs to no record.
    with pytest.raises(RequestError, match="empty request"):
        stream.feed(b"\x00")


def test_the_stream_refuses_to_hold_more_than_its_limit() -> None:
    stream = RequestStream(max_bytes=50)
    with pytest.raises(RequestTooLargeError):
        stream.feed(b"00100" + b"x" * 40)


# --- Replies -----------------------------------------------------------------------------------


KOHA_SUCCESS = "Success.  Batch number 7 - biblio record number 42 added to Koha."

# Every reply vector of PROTOCOL.md ("Test vectors", and the table of "Classifying a reply").
PROTOCOL_VECTORS = [
    ("Unsuccessful request", ReplyKind.FAILURE),
    (KOHA_SUCCESS, ReplyKind.SUCCESS),
    (
        KOHA_SUCCESS
        + "\n\nhttp://errors.example.org/cgi-bin/koha/catalogue/detail.pl?biblionumber=42",
        ReplyKind.SUCCESS,
    ),
    ("Import ok", ReplyKind.SUCCESS),
    ("Import ok: 1 record, 0 errors", ReplyKind.SUCCESS),
    ("Error: access denied", ReplyKind.FAILURE),
    ("The record has been processed successfully. MMS ID 991234", ReplyKind.SUCCESS),
    ("Successfully imported 0 bib records\nFailed to import 1 bib records", ReplyKind.FAILURE),
    ("Batch create error.  Please contact administrator.", ReplyKind.FAILURE),
    ("Thank you", ReplyKind.UNKNOWN),
]
# The rest of the table: each known beginning, and what must not be read as one.
TABLE_ROWS = [
    ("Success: added", ReplyKind.SUCCESS),
    ("Success added", ReplyKind.SUCCESS),
    ("success.", ReplyKind.SUCCESS),
    ("IMPORT OK", ReplyKind.SUCCESS),
    ("Successfully imported 1 bib records", ReplyKind.SUCCESS),
    ("Successfully imported 2 bib records\r\nFailed to import 0 bib records", ReplyKind.SUCCESS),
    ("Successfully imported 0 bib records", ReplyKind.UNKNOWN),
    ("Successfully imported 1 bib records\rFailed to import 1 bib records", ReplyKind.FAILURE),
    ("Successful", ReplyKind.UNKNOWN),  # not "Success" as a word
    ("Bad request", ReplyKind.FAILURE),
    ("Unauthorized request", ReplyKind.FAILURE),
    ("Invalid response", ReplyKind.FAILURE),
    ("Import Failed: no 245", ReplyKind.FAILURE),
    ("Logon Failed--the Logon ID and/or password is/are not valid", ReplyKind.FAILURE),
    ("Failed to import 1 bib records", ReplyKind.FAILURE),
    ("Record too large.  Please contact administrator.", ReplyKind.FAILURE),
    ("Success.  Please contact administrator.", ReplyKind.FAILURE),  # both rows: failure wins
    ("\r\n \t\x07Import ok\n", ReplyKind.SUCCESS),  # the first non-empty line, trimmed
    ("Thank you\nImport ok", ReplyKind.UNKNOWN),  # never words found further on
    ("Import ok\nError: none", ReplyKind.SUCCESS),
    ("Record 42 stored; see https://koha.invalid/error", ReplyKind.UNKNOWN),
    ("", ReplyKind.UNKNOWN),
    ("   \n\n", ReplyKind.UNKNOWN),
]


@pytest.mark.parametrize(("text", "kind"), PROTOCOL_VECTORS + TABLE_ROWS)
def test_a_reply_is_judged_by_how_its_first_line_begins(text: str, kind: ReplyKind) -> None:
    assert classify_reply(text.encode() + b"\x00").kind is kind


def test_a_reply_cut_short_is_never_classified() -> None:
    """PROTOCOL.md: `Import ok` with no NUL when the Timeout runs out is unconfirmed."""
    reply = classify_reply(b"Import ok", complete=False)
    assert reply.kind is ReplyKind.UNKNOWN
    assert not reply.complete
    assert reply.text == "Import ok"  # shown as it arrived


@pytest.mark.parametrize(
    ("success", "failure", "text", "kind"),
    [
        ("^Thank you", "", "Thank you", ReplyKind.SUCCESS),
        ("", "rejected", "Import ok but rejected", ReplyKind.FAILURE),  # before the table
        ("record", "record", "record stored", ReplyKind.FAILURE),  # failure pattern first
        ("STORED", "", "Record stored", ReplyKind.SUCCESS),  # case ignored
        ("stored", "", "Hello\nRecord stored", ReplyKind.UNKNOWN),  # the first line only
        ("nothing", "nothing", "Error: access denied", ReplyKind.FAILURE),  # then the table
    ],
)
def test_an_administrators_patterns_come_before_the_table(
    success: str, failure: str, text: str, kind: ReplyKind
) -> None:
    patterns = ReplyPatterns.compile(success, failure)
    assert classify_reply(text.encode() + b"\x00", patterns=patterns).kind is kind


def test_patterns_do_not_classify_a_reply_cut_short() -> None:
    patterns = ReplyPatterns.compile("Import", "")
    assert classify_reply(b"Import ok", complete=False, patterns=patterns).kind is ReplyKind.UNKNOWN


def test_a_pattern_that_is_not_a_regular_expression_is_refused_by_name() -> None:
    with pytest.raises(OptionError) as raised:
        ReplyPatterns.compile("", "(unclosed")
    assert raised.value.key == "reply_failure_pattern"
    assert "not a valid regular expression" in raised.value.reason


def test_only_4_kib_of_a_reply_is_kept() -> None:
    reply = classify_reply(b"Import ok " + b"x" * 20_000 + b"\x00")
    assert reply.kind is ReplyKind.SUCCESS
    assert len(reply.raw) == MAX_STORED_REPLY_BYTES
    assert len(reply.text.encode()) <= MAX_STORED_REPLY_BYTES


def test_secrets_in_a_reply_are_masked_before_it_is_cut() -> None:
    secret = "s3cr3t-pw"
    # The secret straddles the 4 KiB cut: no part of it may be kept.
    padding = b"y" * (MAX_STORED_REPLY_BYTES - 12)
    raw = b"Error: bad password " + secret.encode() + b" " + padding + secret.encode() + b"\x00"
    reply = classify_reply(raw, secrets=[secret])
    assert reply.kind is ReplyKind.FAILURE
    assert "s3cr" not in reply.text and b"s3cr" not in reply.raw
    assert "Error: bad password ***" in reply.text


def test_a_reply_keeps_its_bytes_up_to_the_end_marker_and_shows_its_text() -> None:
    reply = classify_reply(b"Import ok\n\x00")
    assert reply.raw == b"Import ok\n"
    assert reply.text == "Import ok"


def test_koha_reply_names_the_biblio_number_and_its_url() -> None:
    raw = (
        b"Success.  Batch number 7 - biblio record number 42 added to Koha.\n\n"
        b"http://koha.example/cgi-bin/koha/catalogue/detail.pl?biblionumber=42\x00"
    )
    reply = classify_reply(raw)
    assert reply.kind is ReplyKind.SUCCESS
    assert reply.local_id == "42"
    assert reply.local_url == "http://koha.example/cgi-bin/koha/catalogue/detail.pl?biblionumber=42"


def test_alma_reply_names_the_mms_id() -> None:
    reply = classify_reply(b"The record has been processed successfully. MMS ID 991234\x00")
    assert reply.local_id == "991234"
    assert reply.local_url is None


def test_a_reply_naming_nothing_has_no_local_id() -> None:
    reply = classify_reply(b"Import ok\n\x00")
    assert reply.local_id is None and reply.local_url is None


def test_undecodable_bytes_still_make_a_reply() -> None:
    reply = classify_reply(b"\xff\xfe\x00")
    assert reply.kind is ReplyKind.UNKNOWN
    assert reply.raw == b"\xff\xfe"
