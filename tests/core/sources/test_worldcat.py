"""WorldCat through bookops-worldcat, against the local HTTPS double of OCLC's Metadata API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.core.marc.summary import summarize
from app.core.sources.faults import (
    TargetAuthorization,
    TargetCancelled,
    TargetDiagnostic,
    TargetError,
    TargetResponseError,
    TargetUnreachable,
)
from app.core.sources.hits import SearchQuery
from app.core.sources.retry import RetryPolicy
from app.core.sources.worldcat import WorldCatClient, query_for
from tests.fixtures.network import TlsFiles
from tests.fixtures.worldcat import SECRET, WorldCatDouble, worldcat_target

FAST = RetryPolicy(tries=3, budget=5.0, backoff=0.01)


@pytest.fixture
def client(worldcat: WorldCatDouble, tls_files: TlsFiles) -> WorldCatClient:
    return WorldCatClient(worldcat_target(worldcat, tls_files), SECRET, FAST)


def test_a_search_gives_brief_hits_with_oclc_numbers(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    page = client.search(SearchQuery("perl"))
    assert page.total == 2
    assert [(h.position, h.id, h.title, h.author) for h in page.hits] == [
        (1, "22", "Perl : the complete reference", "Brown, Martin C."),
        (2, "333", "Programming Perl", "Wall, Larry"),
    ]
    assert ("Publisher", "New York, Test Press") in page.hits[0].details
    (token_request,) = worldcat.seen("/oauth/token")
    assert token_request[2]["scope"] == ["WorldCatMetadataAPI"]
    (search,) = worldcat.seen("/worldcat/search/brief-bibs")
    assert search[2]["q"] == ["kw:perl"]
    assert search[3].startswith("Bearer tk_")


def test_pages_follow_on_with_offset(client: WorldCatClient) -> None:
    first = client.search(SearchQuery("perl"), count=1)
    assert [h.id for h in first.hits] == ["22"] and first.next_start == 2
    second = client.search(SearchQuery("perl"), start=2, count=1)
    assert [h.id for h in second.hits] == ["333"] and second.next_start is None


@pytest.mark.parametrize(
    ("query", "q"),
    [
        (SearchQuery("978-0-262-03384-8", index="isbn"), "bn:9780262033848"),
        (SearchQuery("1", index="oclc"), "no:1"),
        (SearchQuery("master margarita", index="title"), "ti:master AND ti:margarita"),
        (SearchQuery("ti:perl AND au:wall", raw=True), "ti:perl AND au:wall"),
    ],
)
def test_queries_use_worldcats_index_labels(query: SearchQuery, q: str) -> None:
    assert query_for(query) == q


def test_retrieve_gets_the_marcxml_record(client: WorldCatClient) -> None:
    record = client.retrieve("ocm00000333")
    summary = summarize(record.parsed)
    assert (summary.oclc_number, summary.title) == ("333", "Programming Perl")
    assert record.file == "target 'WorldCat' (WorldCat), OCLC number 333"


def test_an_unknown_number_is_not_found(client: WorldCatClient) -> None:
    with pytest.raises(TargetDiagnostic, match="no record with OCLC number 999"):
        client.retrieve("999")


def test_holdings_set_and_unset(client: WorldCatClient, worldcat: WorldCatDouble) -> None:
    result = client.holdings("set", "22")
    assert result.as_json() == {"oclc": "22", "outcome": "set", "message": "WorldCat Holding set."}
    assert worldcat.holdings == {"22"}
    again = client.holdings("set", "22")
    assert again.message == "WorldCat Holding already set."
    assert client.holdings("unset", "22").outcome == "unset"
    assert worldcat.holdings == set()
    (unset,) = [r for r in worldcat.seen("/worldcat/manage") if r[1].endswith("/unset")]
    assert unset[2]["cascadeDelete"] == ["False"]


def test_holdings_on_an_unknown_number_fail_for_that_number_only(client: WorldCatClient) -> None:
    assert client.holdings("set", "999").as_json() == {
        "oclc": "999",
        "outcome": "failed",
        "message": "no record with OCLC number 999",
    }
    assert client.holdings("set", "not-a-number").outcome == "failed"


def test_a_wrong_secret_is_refused_without_showing_it(
    worldcat: WorldCatDouble, tls_files: TlsFiles
) -> None:
    client = WorldCatClient(worldcat_target(worldcat, tls_files), "wrong-secret-123", FAST)
    with pytest.raises(TargetAuthorization) as caught:
        client.search(SearchQuery("perl"))
    message = caught.value.message
    assert message.startswith("Target 'WorldCat' (WorldCat): OCLC refused the WSKey")
    assert "HTTP 401" in message and "client credentials are wrong" in message
    assert "wrong-secret-123" not in message
    assert len(worldcat.seen("/oauth/token")) == 1  # refused is final: no retry


def test_a_revoked_token_is_renewed_once_silently(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    client.search(SearchQuery("perl"))
    worldcat.revoke_tokens()
    page = client.search(SearchQuery("perl"))
    assert page.total == 2
    assert len(worldcat.seen("/oauth/token")) == 2
    assert len(worldcat.seen("/worldcat/search")) == 3  # the 401, then the search again


def test_a_401_after_renewal_is_an_authorization_error(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    client.search(SearchQuery("perl"))
    worldcat.fail_next(401, {"message": "Unauthorized"}, times=2)
    with pytest.raises(TargetAuthorization, match="HTTP 401: Unauthorized"):
        client.search(SearchQuery("perl"))
    assert len(worldcat.seen("/oauth/token")) == 2  # renewed once, not twice


def test_an_expired_token_is_renewed_before_the_request(
    worldcat: WorldCatDouble, tls_files: TlsFiles
) -> None:
    worldcat.token_lifetime = timedelta(seconds=0)  # expires_at is now: expired at once
    client = WorldCatClient(worldcat_target(worldcat, tls_files), SECRET, FAST)
    with pytest.raises(TargetAuthorization):  # the double refuses expired tokens too
        client.search(SearchQuery("perl"))
    worldcat.token_lifetime = timedelta(minutes=20)
    assert client.search(SearchQuery("perl")).total == 2
    assert len(worldcat.seen("/oauth/token")) >= 3  # first, renewed at 401, renewed when expired


def test_429_is_retried_honouring_retry_after(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    worldcat.fail_next(429, {"message": "Too Many Requests"}, headers={"Retry-After": "0"})
    assert client.search(SearchQuery("perl")).total == 2
    assert len(worldcat.seen("/worldcat/search")) == 2


def test_5xx_three_times_gives_up_naming_the_target(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    worldcat.fail_next(503, {"message": "Service Unavailable"}, times=3)
    with pytest.raises(TargetUnreachable) as caught:
        client.search(SearchQuery("perl"))
    assert caught.value.message == (
        "Target 'WorldCat' (WorldCat): the server failed (the search: HTTP 503 Service Unavailable)"
    )
    assert len(worldcat.seen("/worldcat/search")) == 3


def test_a_retry_after_beyond_the_budget_is_not_waited_for(
    client: WorldCatClient, worldcat: WorldCatDouble
) -> None:
    worldcat.fail_next(429, {}, headers={"Retry-After": "120"})
    with pytest.raises(TargetUnreachable, match="too many requests"):
        client.search(SearchQuery("perl"))
    assert len(worldcat.seen("/worldcat/search")) == 1


def test_a_malformed_answer_is_named(client: WorldCatClient, worldcat: WorldCatDouble) -> None:
    worldcat.fail_next(200, raw=b"<html>maintenance</html>")
    with pytest.raises(TargetResponseError, match="the answer to the search can't be read"):
        client.search(SearchQuery("perl"))


def test_a_malformed_token_answer_is_named(worldcat: WorldCatDouble, tls_files: TlsFiles) -> None:
    worldcat.fail_next(200, {"token_type": "bearer"}, path="/oauth/token")
    client = WorldCatClient(worldcat_target(worldcat, tls_files), SECRET, FAST)
    with pytest.raises(TargetResponseError, match="the token request can't be read"):
        client.search(SearchQuery("perl"))


def test_a_bad_request_gives_oclcs_words(client: WorldCatClient, worldcat: WorldCatDouble) -> None:
    body = {"type": "BAD_REQUEST", "title": "Validation Failure", "detail": "q is malformed"}
    worldcat.fail_next(400, body)
    with pytest.raises(TargetDiagnostic) as caught:
        client.search(SearchQuery("((", raw=True))
    assert "HTTP 400: Validation Failure: q is malformed" in caught.value.message


def test_a_timeout_is_unreachable(worldcat: WorldCatDouble, tls_files: TlsFiles) -> None:
    client = WorldCatClient(
        worldcat_target(worldcat, tls_files, timeout=0.3),
        SECRET,
        RetryPolicy(tries=1, budget=1.0, backoff=0.01),
    )
    client.search(SearchQuery("perl"))
    worldcat.hang_next()
    with pytest.raises(TargetUnreachable) as caught:
        client.search(SearchQuery("perl"))
    assert f"no answer from {worldcat.api_url} within 0.3 seconds" in caught.value.message


def test_a_certificate_from_another_authority_is_refused(
    worldcat: WorldCatDouble, tls_files: TlsFiles
) -> None:
    target = worldcat_target(worldcat, tls_files, ca_file=str(tls_files.other_ca_file))
    with pytest.raises(TargetUnreachable, match=r"certificate .* could not be verified"):
        WorldCatClient(target, SECRET, FAST).search(SearchQuery("perl"))
    assert len(worldcat.requests) == 0


def test_cancel_while_waiting_to_retry(client: WorldCatClient, worldcat: WorldCatDouble) -> None:
    cancel = threading.Event()
    client.search(SearchQuery("perl"))
    worldcat.fail_next(429, {}, headers={"Retry-After": "20"})
    slow = WorldCatClient(client.target, SECRET, RetryPolicy(tries=3, budget=60, backoff=0.01))
    outcome: list[BaseException] = []

    def search() -> None:
        try:
            slow.search(SearchQuery("perl"), cancel=cancel)
        except BaseException as error:  # the test looks at it
            outcome.append(error)

    thread = threading.Thread(target=search)
    thread.start()
    # The 429 has been answered once the double has seen the search (besides the first one).
    deadline = threading.Event()
    while len(worldcat.seen("/worldcat/search")) < 2 and not deadline.wait(0.01):
        pass
    cancel.set()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], TargetCancelled)


# An answer nested far deeper than any API's (Python's JSON reader gives up with a
# RecursionError, not a ValueError): the answer can't be read, said as for any other.
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("path", "status", "call", "said"),
    [
        ("/worldcat/search", 200, lambda c: c.search(SearchQuery("perl")), "the search can't"),
        ("/worldcat/search", 400, lambda c: c.search(SearchQuery("perl")), "refused the search"),
        ("/oauth/token", 200, lambda c: c.search(SearchQuery("perl")), "the token request can't"),
        ("/worldcat/manage", 200, lambda c: c.holdings("set", "22"), "holdings on 22 can't"),
    ],
    ids=["search", "error body", "token", "holdings"],
)
def test_an_answer_nested_without_end_is_a_bad_answer(
    worldcat: WorldCatDouble,
    tls_files: TlsFiles,
    path: str,
    status: int,
    call: Callable[[WorldCatClient], object],
    said: str,
) -> None:
    worldcat.add_record("22", "Perl basics")
    client = WorldCatClient(worldcat_target(worldcat, tls_files), SECRET, FAST)
    worldcat.fail_next(status, raw=DEEP, path=path)
    with pytest.raises(TargetError) as raised:
        call(client)
    message = str(raised.value)
    assert message.startswith("Target 'WorldCat' (WorldCat): ") and said in message
    if status == 200:
        assert message.endswith("can't be read: the JSON is nested far too deeply")
    assert len(message) < 400  # the answer quoted short, not whole
