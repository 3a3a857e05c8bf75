"""SRU against a real server: Zebra, started by the test over the test data's records."""

from __future__ import annotations

import threading

import pytest

from app.core.marc.summary import summarize
from app.core.settings.targets import Target, TargetKind, make_target
from app.core.sources import sru
from app.core.sources.faults import TargetCancelled, TargetDiagnostic, TargetUnreachable
from app.core.sources.hits import SearchQuery
from app.core.sources.retry import RetryPolicy
from app.core.sources.sru import SruClient
from tests.fixtures.zebra import ZebraServer

FAST = RetryPolicy(tries=3, budget=2.0, backoff=0.01)


def sru_target(url: str, version: str = "1.2", **more: object) -> Target:
    return make_target({"name": "Zebra", "kind": "sru", "url": url, "version": version, **more})


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_a_keyword_search_finds_the_perl_books_in_every_version(
    zebra: ZebraServer, version: str
) -> None:
    with SruClient(sru_target(zebra.url, version)) as client:
        page = client.search(SearchQuery("perl"), count=5)
    assert page.total == 9
    assert [hit.position for hit in page.hits] == [1, 2, 3, 4, 5]
    assert all("perl" in hit.title.casefold() for hit in page.hits)
    assert page.next_start == 6
    first = page.hits[0]
    assert first.id.startswith("fol") and first.record is not None
    assert summarize(first.record.parsed).control_number == first.id


@pytest.mark.parametrize(
    ("index", "text", "expected_id"),
    [
        ("isbn", "1565926994", "fol05754809"),
        ("lccn", "00022023", "fol05754809"),
        ("oclc", "33963955", "5548604"),  # (OCoLC) in 035, found through rec.id
        ("title", "atlas carreteras", "5548604"),
    ],
)
def test_each_index_finds_its_record(
    zebra: ZebraServer, index: str, text: str, expected_id: str
) -> None:
    with SruClient(sru_target(zebra.url)) as client:
        page = client.search(SearchQuery(text, index=index))
    assert [hit.id for hit in page.hits] == [expected_id]


def test_an_author_search_gives_the_brief_fields(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client:
        page = client.search(SearchQuery("Descartes", index="author"))
    (hit,) = page.hits
    assert hit.title == "Programming the Perl DBI"
    assert hit.author == "Descartes, Alligator"
    assert hit.date == "2000"
    assert ("ISBN", "1565926994") in hit.details


def test_no_hits_is_a_page_with_total_zero(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client:
        page = client.search(SearchQuery("xyzzyplugh"))
    assert (page.total, page.hits, page.next_start) == (0, [], None)


def test_a_raw_query_goes_as_cql(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client:
        page = client.search(SearchQuery("dc.creator = brown and dc.title = complete", raw=True))
    assert [hit.id for hit in page.hits] == ["fol05843579"]


def test_retrieve_finds_a_hit_again_by_its_001(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client:
        record = client.retrieve("fol05843555")
    assert summarize(record.parsed).title == "Perl : programmer's reference"
    assert record.source_format == "marcxml"
    assert "target 'Zebra' (SRU)" in record.file and "fol05843555" in record.file


def test_retrieving_an_unknown_id_says_so(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client, pytest.raises(TargetDiagnostic) as caught:
        client.retrieve("nosuch001")
    assert caught.value.message == "Target 'Zebra' (SRU): no record with id nosuch001"


def test_an_unknown_index_is_the_servers_diagnostic_naming_the_target(zebra: ZebraServer) -> None:
    target = sru_target(zebra.url, indexes={"isbn": "dc.nosuchindex"})
    with SruClient(target) as client, pytest.raises(TargetDiagnostic) as caught:
        client.search(SearchQuery("1565926994", index="isbn"))
    assert caught.value.exit_status == 1
    assert caught.value.message.startswith("Target 'Zebra' (SRU): diagnostic 16")


def test_broken_cql_is_a_diagnostic(zebra: ZebraServer) -> None:
    with SruClient(sru_target(zebra.url)) as client, pytest.raises(TargetDiagnostic) as caught:
        client.search(SearchQuery("((perl", raw=True))
    assert "diagnostic 10" in caught.value.message


def test_a_stopped_server_is_unreachable_after_the_retries(zebra: ZebraServer) -> None:
    zebra.stop()
    target = sru_target(zebra.url)
    with SruClient(target, FAST) as client, pytest.raises(TargetUnreachable) as caught:
        client.search(SearchQuery("perl"))
    assert "could not connect to http://127.0.0.1" in caught.value.message
    assert "connection refused" in caught.value.message


def test_cancel_before_a_search_stops_it(zebra: ZebraServer) -> None:
    cancel = threading.Event()
    cancel.set()
    with SruClient(sru_target(zebra.url)) as client, pytest.raises(TargetCancelled):
        client.search(SearchQuery("perl"), cancel=cancel)


def test_the_client_is_for_sru_targets_only() -> None:
    worldcat = make_target({"name": "W", "kind": "worldcat", "key": "k"})
    assert worldcat.kind is TargetKind.WORLDCAT
    with pytest.raises(ValueError, match="not an SRU target"):
        SruClient(worldcat)


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_records_read_from_their_bytes_are_those_the_general_way_reads(
    zebra: ZebraServer, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record of the test data, as Zebra writes it: read plainly (plain_marcxml), and
    with the whole answer through ElementTree (plain reading turned off)."""

    def every_record() -> list[tuple[object, ...]]:
        with SruClient(sru_target(zebra.url, version)) as client:
            page = client.search(SearchQuery("cql.allRecords = 1", raw=True), count=100)
            retrieved = [client.retrieve(hit.id) for hit in page.hits[:5]]
        assert page.total == len(page.hits) == 29
        found: list[tuple[object, ...]] = []
        for hit in page.hits:
            assert hit.record is not None
            record = hit.record
            found.append((hit.id, hit.position, hit.brief, record.raw, record.parsed))
            found.append((record.number, record.file, record.notes, record.parsed.well_formed))
        found += [(r.raw, r.parsed, r.file, r.number, r.notes) for r in retrieved]
        return found

    plainly = every_record()
    monkeypatch.setattr(sru, "plain_record", lambda data, file, number: None)
    assert every_record() == plainly
