"""Transport speed: records per second to ExportDesk's receiver on loopback.

Sends the same records with ExportDesk's client (``app.core.net.transport.ConnexionClient``,
what ``send_records`` runs) and with a minimal raw-socket client speaking the same bytes (the
baseline), a connection per record and then over one permanent connection. The two take
turns every --chunk records (10 by default), so both meet the same moments of a busy
machine: the shorter the turns, the more nearly the same (with turns of 100 the raw client
against itself gave 0.80-1.07 over nine comparisons, with turns of 10 0.93-1.05). Prints
records per second and the ratio to the baseline (1.0 = as fast; the goal is 0.9 or more
on a permanent connection). The permanent case is measured a second time against the raw
client doing the one look PROTOCOL.md requires before a reused socket is written to (one
poll), for comparison, and the raw client against itself (how far the machine alone moves
a ratio). Both clients send one record first, not counted: the one-time cost
of a new permanent connection is printed on its own line.

    python bench/transport.py [--records N] [--chunk N] [--runs N] [--fsync]

Each comparison is made --runs times (9 by default); the ratio printed is the median of the
runs, with their spread, so that one moment of a busy machine does not decide it.

The receiver runs in its own process (so it does not share the client's interpreter lock),
FOLIO-style, checking the logon ID and password. By default it skips fsync for each record,
so the figures show the client's own cost rather than the disk's; --fsync measures the
receiver as shipped (then both clients wait mostly on the disk).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import secrets
import select
import signal
import socket
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from pymarc import Field, Record, Subfield

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.net.receiver import Receiver  # noqa: E402
from app.core.net.transport import ConnexionClient, Outcome, TransportSettings  # noqa: E402

HOST = "127.0.0.1"
LOGON_ID = "01CARLI_NETWORK"
# Made up for each run; the receiver's process (spawned) reads the same from the environment.
PASSWORD = os.environ.setdefault("EXPORTDESK_BENCH_SECRET", secrets.token_urlsafe(12))
NUL = b"\x00"
# Looked up once: on Python 3.11 an enum member looked up on its class costs a call, which
# would count against ExportDesk's client for every record.
EXPORTED = Outcome.EXPORTED


def make_records(count: int) -> list[bytes]:
    records = []
    for n in range(count):
        record = Record(force_utf8=True)
        record.leader = record.leader[:9] + "a" + record.leader[10:]
        record.add_field(Field(tag="001", data=f"ocm{n:08d}"))
        title = f"Title {n}: Café, Война и мир, Ελληνικά"
        record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
        note = "A note long enough to make a record of a usual size. " * 12
        record.add_field(Field(tag="500", indicators=[" ", " "], subfields=[Subfield("a", note)]))
        records.append(record.as_marc())
    return records


# --- The receiver, in its own process --------------------------------------------------------


def serve(out_dir: str, durable: bool, pipe: Connection) -> None:
    receiver = Receiver(
        Path(out_dir), logon_id=LOGON_ID, password=PASSWORD, durable=durable, log=lambda _: None
    )
    receiver.bind()
    pipe.send(receiver.port)
    with contextlib.suppress(KeyboardInterrupt):
        receiver.serve_forever()


# --- The baseline: the same bytes, no options, no checks ---------------------------------------


def logon_fields() -> bytes:
    logon, password = LOGON_ID.encode(), PASSWORD.encode()
    return (
        b"A" + bytes([0x40 + len(logon)]) + logon + b"P" + bytes([0x40 + len(password)]) + password
    )


def read_to_nul(sock: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(NUL):
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply


class RawClient:
    """What a minimal client does: connect, write the request, read to NUL.

    With ``checked``, it also does the one thing PROTOCOL.md requires of every client before
    it writes to a reused socket ("Reusing a connection safely"): a look without blocking
    for a close or bytes nobody asked for (one poll), reconnecting if there is any."""

    def __init__(self, port: int, permanent: bool, checked: bool = False) -> None:
        self.port = port
        self.permanent = permanent
        self.checked = checked
        self.sock: socket.socket | None = None
        self.poll: select.poll | None = None

    def run(self, records: list[bytes]) -> int:
        ok = 0
        for record in records:
            fields = b""
            if self.checked and self.poll is not None and self.poll.poll(0):
                self.close()  # the host closed it, or sent something: a new connection
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port))
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                fields = logon_fields()
                if self.checked:
                    self.poll = select.poll()
                    self.poll.register(self.sock, select.POLLIN | select.POLLPRI)
            self.sock.sendall(fields + record + NUL)
            ok += read_to_nul(self.sock).startswith(b"Import ok")
            if not self.permanent:
                self.sock.close()
                self.sock = None
        return ok

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.poll = None, None


# --- ExportDesk's client ------------------------------------------------------------------------


class ExportDeskClient:
    def __init__(self, port: int, permanent: bool) -> None:
        settings = TransportSettings(
            host=HOST,
            port=port,
            timeout=30,
            retries=0,
            permanent=permanent,
            send_logon_id=True,
            logon_id=LOGON_ID,
            password=PASSWORD,
        )
        self.client = ConnexionClient(settings)

    def run(self, records: list[bytes]) -> int:
        # A plain loop, as the raw client's: a generator expression around send_records
        # would add a layer of the benchmark's own to ExportDesk's time.
        ok = 0
        for result in self.client.send_records(records):
            if result.outcome is EXPORTED:
                ok += 1
        return ok

    def close(self) -> None:
        self.client.close()


def timed(client: RawClient | ExportDeskClient, records: list[bytes]) -> tuple[float, float]:
    """Wall-clock seconds, and this process's CPU seconds, to send ``records``."""
    start, cpu = time.perf_counter(), time.process_time()
    ok = client.run(records)
    elapsed, cpu_used = time.perf_counter() - start, time.process_time() - cpu
    if ok != len(records):
        raise SystemExit(f"only {ok} of {len(records)} records were accepted")
    return elapsed, cpu_used


def compare(
    port: int,
    permanent: bool,
    records: list[bytes],
    chunk: int,
    checked: bool = False,
    against_itself: bool = False,
) -> list[list[float]]:
    """[wall, cpu] seconds for the baseline and for ExportDesk, each sending every record once
    (``against_itself``: a second raw client in ExportDesk's place, to show how far two runs
    of the same client differ on this machine).

    The two take turns every ``chunk`` records (the one going first alternating too), so
    both meet the same moments of a busy machine.
    """
    baseline = RawClient(port, permanent, checked)
    ours: RawClient | ExportDeskClient = (
        RawClient(port, permanent, checked) if against_itself else ExportDeskClient(port, permanent)
    )
    totals = [[0.0, 0.0], [0.0, 0.0]]
    try:
        # One record each first, not counted: both connect and log on, and on a permanent
        # connection ExportDesk watches once (CLOSE_GRACE, 0.2 s) whether the host closes
        # after a reply. That one-time wait is printed apart by first_record().
        for client in (baseline, ours):
            timed(client, records[:1])
        for turn, start in enumerate(range(0, len(records), chunk)):
            part = records[start : start + chunk]
            order = [(0, baseline), (1, ours)] if turn % 2 == 0 else [(1, ours), (0, baseline)]
            for slot, client in order:
                wall, cpu = timed(client, part)
                totals[slot][0] += wall
                totals[slot][1] += cpu
    finally:
        baseline.close()
        ours.close()
    return totals


def first_record(port: int, records: list[bytes]) -> tuple[float, float]:
    """Seconds to send the first record over a new permanent connection: baseline, ours."""
    seconds = []
    for client in (RawClient(port, True), ExportDeskClient(port, True)):
        try:
            seconds.append(timed(client, records[:1])[0])
        finally:
            client.close()
    return seconds[0], seconds[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=10, help="records per turn")
    parser.add_argument("--runs", type=int, default=9, help="comparisons, the median printed")
    parser.add_argument("--fsync", action="store_true", help="the receiver fsyncs each record")
    args = parser.parse_args()
    records = make_records(args.records)
    size = sum(map(len, records)) // len(records)

    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as out_dir:
        ours, theirs = context.Pipe()
        server = context.Process(target=serve, args=(out_dir, args.fsync, theirs), daemon=True)
        server.start()
        port = ours.recv()
        print(
            f"{len(records)} records of about {size} bytes to 127.0.0.1 port {port} for each "
            f"client, receiver {'with' if args.fsync else 'without'} fsync, "
            f"turns of {args.chunk} records"
        )
        try:
            for name, permanent, checked, itself in (
                ("connection per record", False, False, False),
                ("permanent connection", True, False, False),
                ("permanent, checked", True, True, False),
                ("permanent, raw vs raw", True, False, True),
            ):
                runs = [
                    compare(port, permanent, records, args.chunk, checked, itself)
                    for _ in range(args.runs)
                ]
                ratios = sorted(base[0] / mine[0] for base, mine in runs)
                # The run whose ratio is the median, for its rates and CPU figures.
                (base, base_cpu), (mine, mine_cpu) = next(
                    run for run in runs if run[0][0] / run[1][0] == ratios[len(ratios) // 2]
                )
                n = len(records)
                other = "raw again " if itself else "ExportDesk"
                print(
                    f"{name:22}  baseline {n / base:7.0f} rec/s   {other} {n / mine:7.0f} "
                    f"rec/s   ratio {ratios[len(ratios) // 2]:.2f} (median of {len(runs)}, "
                    f"{ratios[0]:.2f}-{ratios[-1]:.2f})   client CPU per record: "
                    f"{base_cpu / n * 1e6:.0f} µs vs {mine_cpu / n * 1e6:.0f} µs"
                )
            print(
                "(permanent, checked: the baseline also looks at the reused socket before each "
                "request, as PROTOCOL.md requires of any client; the goal is set against the "
                "plain one. Raw vs raw: the raw client against itself, the same way: how far "
                "this machine moves a ratio that should be 1.00)"
            )
            base_first, mine_first = first_record(port, records)
            print(
                f"{'first record, permanent':22}  baseline {base_first * 1e3:7.1f} ms    "
                f"ExportDesk {mine_first * 1e3:7.1f} ms    (once per connection, not counted "
                "above: ExportDesk watches whether the host closes after its first reply)"
            )
        finally:
            if server.pid is not None:
                os.kill(server.pid, signal.SIGINT)
            server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
