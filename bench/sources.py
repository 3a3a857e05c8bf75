"""Search and retrieve speed: ExportDesk's SRU client against a local Zebra.

Indexes N records (default 100) into Zebra (Debian's idzebra-2.0, as the tests start it),
then, in rounds taking turns (the first to go alternates), searches for all of them and
retrieves each by its id with ExportDesk's client (``app.core.sources.sru.SruClient``: a
search page, then one request per record, each parsed into a record ready for the save file),
and fetches the same SRU responses with a bare HTTP client (``http.client`` on one kept-alive
connection, the requests' paths made before the clock starts, bytes only: the baseline).
Prints records per second, the ratio of the medians to the baseline (1.0 = as fast; the goal
is 0.8 or more), the median and spread of the rounds' own ratios, and each side's CPU time
per request. ``--profile`` prints where ExportDesk's side spends its time (cProfile).

    python bench/sources.py [--records N] [--rounds N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.marc.iso2709 import build_record  # noqa: E402
from app.core.marc.record import Field  # noqa: E402
from app.core.settings.targets import make_target  # noqa: E402
from app.core.sources.hits import SearchQuery  # noqa: E402
from app.core.sources.sru import SruClient, cql_for, cql_term  # noqa: E402
from tests.fixtures.zebra import start_zebra  # noqa: E402

WORD = "benchmarked"


def make_records(count: int) -> bytes:
    """UTF-8 records of a usual size (about 1 kB), each with its own 001 and ISBN."""
    records = []
    for n in range(1, count + 1):
        fields = [
            Field("001", f"bench{n:06d}".encode()),
            Field("008", b"240101s2024    nyu           000 0 eng d"),
            Field("020", f"  \x1fa978000{n:07d}".encode()),
            Field("100", "1 \x1faMüller, Jürgen,\x1fd1950-".encode()),
            Field(
                "245",
                f"10\x1faA {WORD} history of rivers, part {n} :\x1fbcafé, Война и мир".encode(),
            ),
            Field("264", b" 1\x1faNew York :\x1fbTest Press,\x1fc2024."),
            Field(
                "500", b"  \x1fa" + b"A note long enough to make a record of a usual size. " * 10
            ),
            Field("650", b" 0\x1faRivers\x1fvHistory."),
        ]
        records.append(build_record("00000nam a2200000 i 4500", fields))
    return b"".join(records)


def exportdesk_round(url: str, count: int) -> tuple[float, float]:
    """The round's wall and CPU time."""
    target = make_target({"name": "Zebra", "kind": "sru", "url": url})
    cpu, start = time.process_time(), time.perf_counter()
    with SruClient(target) as client:
        page = client.search(SearchQuery(WORD), count=count)
        assert len(page.hits) == count, (len(page.hits), page.total)
        for hit in page.hits:
            client.retrieve(hit.id)
    return time.perf_counter() - start, time.process_time() - cpu


def bare_round(url: str, count: int) -> tuple[float, float]:
    """The same requests ExportDesk sends, with http.client, reading the bytes only."""
    target = make_target({"name": "Zebra", "kind": "sru", "url": url})
    parts = urlsplit(url)
    common = {"operation": "searchRetrieve", "version": "1.2", "recordSchema": "marcxml",
              "recordPacking": "xml"}  # fmt: skip
    search = {**common, "query": cql_for(target, SearchQuery(WORD)), "startRecord": "1",
              "maximumRecords": str(count)}  # fmt: skip
    paths = [f"{parts.path}?{urlencode(search)}"]
    for n in range(1, count + 1):
        query = f"{target.index('id')} = {cql_term(f'bench{n:06d}')}"
        one = {**common, "query": query, "startRecord": "1", "maximumRecords": "10"}
        paths.append(f"{parts.path}?{urlencode(one)}")
    cpu, start = time.process_time(), time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    for path in paths:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and b"numberOfRecords" in body
    connection.close()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile ExportDesk's rounds")
    args = parser.parse_args()
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    profile = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.mrc"
        source.write_bytes(make_records(args.records))
        server = start_zebra(Path(tmp) / "zebra", [source])
        try:
            exportdesk_round(server.url, args.records)  # warm both up: Zebra's caches
            bare_round(server.url, args.records)
            for number in range(args.rounds):  # taking turns: both meet the same busy moments
                if number % 2:
                    bare.append(bare_round(server.url, args.records))
                if profile is not None:
                    profile.enable()
                ours.append(exportdesk_round(server.url, args.records))
                if profile is not None:
                    profile.disable()
                if not number % 2:
                    bare.append(bare_round(server.url, args.records))
        finally:
            server.stop()
    requests = args.records + 1
    ours_rate = args.records / statistics.median(wall for wall, _ in ours)
    bare_rate = args.records / statistics.median(wall for wall, _ in bare)
    ratios = sorted(b[0] / o[0] for o, b in zip(ours, bare, strict=True))
    print(f"search + retrieve of {args.records} records from Zebra, median of {args.rounds}:")
    print(f"  bare http.client (same SRU responses): {bare_rate:8.1f} records/s")
    print(f"  ExportDesk SruClient (parsed records): {ours_rate:8.1f} records/s")
    print(f"  ratio: {ours_rate / bare_rate:.2f} (goal: 0.8 or more)")
    print(
        f"  the rounds' own ratios: median {statistics.median(ratios):.2f}, "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    )
    for name, rounds in (("bare", bare), ("ExportDesk", ours)):
        cpu = statistics.median(cpu for _, cpu in rounds) / requests * 1e6
        print(f"  CPU per request, {name}: {cpu:.0f} µs")
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
