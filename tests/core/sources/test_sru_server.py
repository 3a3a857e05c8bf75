"""ExportDesk's own SRU server (the demo's catalogue), read by ExportDesk's own SRU client and
by plain HTTP: each version, the indexes of the targets' defaults, paging, and diagnostics."""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from app.core.export.demo import demo_samples
from app.core.marc.reading import read_records
from app.core.settings.targets import Target, make_target
from app.core.sources.faults import TargetDiagnostic
from app.core.sources.hits import SearchQuery
from app.core.sources.sru import SruClient
from app.core.sources.sru_server import SruServer, parse_cql

SAMPLES = [result.raw for result in read_records(demo_samples())]


@pytest.fixture
def server() -> Iterator[SruServer]:
    with SruServer(SAMPLES) as started:
        yield started


def target(server: SruServer, version: str = "1.2") -> Target:
    return make_target({"name": "Demo", "kind": "sru", "url": server.url, "version": version})


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_a_keyword_search_pages_through_in_every_version(server: SruServer, version: str) -> None:
    with SruClient(target(server, version)) as client:
        first = client.search(SearchQuery("cql.allRecords = 1", raw=True), count=8)
        assert (first.total, len(first.hits), first.next_start) == (19, 8, 9)
        last = client.search(SearchQuery("cql.allRecords = 1", raw=True), start=17, count=8)
        assert [hit.position for hit in last.hits] == [17, 18, 19]
        assert last.next_start is None
        page = client.search(SearchQuery("science"))
    assert [hit.id for hit in page.hits] == ["7040552", "16916933"]
    assert page.hits[0].title == "Little science, big science."
    assert page.hits[0].record is not None


@pytest.mark.parametrize(
    ("index", "text", "expected"),
    [
        ("oclc", "33963955", ["5548604"]),  # rec.id: the (OCoLC) number in 035
        ("oclc", "ocm00522357", ["7040552"]),
        ("isbn", "978-0-415-61971-4", ["16916933"]),
        ("lccn", "n 00022506", ["n  00022506"]),
        ("title", "atlas carreteras", ["5548604"]),
        ("title", "azarbaycan", ["19114282"]),  # diacritics need not be typed
        ("author", "Wellington", ["16916933"]),
        ("keyword", "scien*", ["7040552", "16916933"]),
    ],
)
def test_each_default_index_finds_its_record(
    server: SruServer, index: str, text: str, expected: list[str]
) -> None:
    with SruClient(target(server)) as client:
        page = client.search(SearchQuery(text, index=index))
    assert [hit.id for hit in page.hits] == expected


def test_retrieve_finds_a_record_by_its_001(server: SruServer) -> None:
    with SruClient(target(server, "2.0")) as client:
        record = client.retrieve("16916933")
    assert record.file == "target 'Demo' (SRU), record 16916933"
    assert record.parsed.first("001").data == b"16916933"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("dc.nosuch = x", "16"),
        ('dc.title = "not closed', "10"),
        ("dc.title < x", "19"),
        ("a prox b", "37"),
        ("(" * 5000 + "perl" + ")" * 5000, "10"),  # nested deeper than the parser goes
    ],
)
def test_what_it_does_not_understand_is_a_diagnostic(
    server: SruServer, query: str, number: str
) -> None:
    with SruClient(target(server)) as client, pytest.raises(TargetDiagnostic) as raised:
        client.search(SearchQuery(query, raw=True))
    assert raised.value.message.startswith(f"Target 'Demo' (SRU): diagnostic {number}: ")


def test_booleans_and_parentheses() -> None:
    server = SruServer(SAMPLES)
    server.stop()
    matcher = parse_cql('(dc.title any "atlas sonata" or science) not dc.title = road')
    found = [entry.keys["id"] for entry in server.entries if matcher(entry)]
    # 2 atlases of 3 (not the road atlas), 2 sonatas, 2 on science (in the keyword index)
    assert len(found) == 6


def test_records_packed_as_strings_and_an_unknown_schema(server: SruServer) -> None:
    url = f"{server.url}?operation=searchRetrieve&version=1.2&query=science&recordPacking=string"
    with urllib.request.urlopen(url, timeout=10) as answer:
        root = ET.fromstring(answer.read())
    data = root.findall(".//{http://www.loc.gov/zing/srw/}recordData")
    assert len(data) == 2 and data[0].text is not None and data[0].text.startswith("<record")
    other = make_target(
        {"name": "Demo", "kind": "sru", "url": server.url, "schema": "dc", "version": "1.2"}
    )
    with SruClient(other) as client, pytest.raises(TargetDiagnostic, match="diagnostic 66"):
        client.search(SearchQuery("science"))


def test_explain_answers_without_a_query(server: SruServer) -> None:
    with urllib.request.urlopen(f"{server.url}?version=1.2&operation=explain", timeout=10) as a:
        body = a.read()
    assert b"explainResponse" in body and b"ExportDesk demo catalogue" in body
