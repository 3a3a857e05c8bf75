"""Export speed: records per second end to end, against the bare transport as the baseline.

End to end is ExportDesk's export run (app.core.export.run_export): reading each flagged
record from the save file, deleting fields, encoding, validating at level full, sending over
Connexion TCP/IP, and writing the outcome to the journal. The baseline sends the same bytes
with the bare transport (app.core.transport.ConnexionClient) and does nothing else. Both go to
the reference receiver in its own process on 127.0.0.1, taking turns every --chunk records so
both meet the same moments of a busy machine. The goal is a ratio of at least 0.8.

Then, with --window, the same export runs from the window (offscreen) while a 10 ms timer
measures the longest stall of the event loop (goal: under 50 ms).

    python bench/export.py [--records N] [--chunk N] [--permanent] [--window]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from records_gen import make_record  # noqa: E402
from transport import LOGON_ID, PASSWORD, serve  # noqa: E402

HOST = "127.0.0.1"
ACCOUNT = "100-000-001"


def prepare_account(port: int, permanent: bool) -> None:
    from app.core.account_settings import AccountSettings
    from app.core.accounts import AccountRegistry

    registry = AccountRegistry.load()
    registry.add(ACCOUNT)
    registry.save()
    account = AccountSettings(ACCOUNT)
    working = account.saved_default().copy()
    for key, value in {
        "destination": "tcpip",
        "format": "marc",
        "host": HOST,
        "port": port,
        "logon_id": LOGON_ID,
        "permanent_connection": permanent,
        "fields_to_delete": ("9XX",),
        "validate_bib": "full",
    }.items():
        working.set_value(key, value)
    account.save_default(working)
    account.vault.save_session(working.active_id, PASSWORD)
    return account


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--permanent", action="store_true", help="one permanent connection")
    parser.add_argument("--window", action="store_true", help="also export from the window")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="exportdesk-bench-home-")
    os.environ["EXPORTDESK_HOME"] = home
    os.environ["EXPORTDESK_INSTITUTION_FILE"] = str(Path(home) / "none.json")

    from app.core.export import RecordOutcome, _parse, plan_export, run_export
    from app.core.marc import parse_record, summarize
    from app.core.marc.encode import encode_record
    from app.core.marc.fields import delete_fields
    from app.core.savefile import SaveFile
    from app.core.transport import ConnexionClient

    rng = random.Random(7)
    raws = [make_record(n, rng) for n in range(args.records)]
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="exportdesk-bench-") as out_dir:
        ours, theirs = context.Pipe()
        server = context.Process(target=serve, args=(out_dir, False, theirs), daemon=True)
        server.start()
        port = ours.recv()
        try:
            account = prepare_account(port, args.permanent)
            settings = account.effective()
            plan = plan_export(settings, password=PASSWORD)
            assert plan.transport is not None
            save_file = SaveFile.for_account(ACCOUNT)
            with save_file.transaction():
                ids = [save_file.add(r, "iso2709", summarize(parse_record(r))) for r in raws]
            save_file.flag(ids)
            # The baseline sends exactly the bytes the export sends.
            sent = [
                encode_record(delete_fields(_parse(r), plan.fields_to_delete), "marc", "utf8").data
                for r in raws
            ]
            mode = "permanent connection" if args.permanent else "a connection per record"
            print(
                f"{len(ids)} records, {mode}, receiver without fsync on 127.0.0.1 port {port}, "
                f"turns of {args.chunk}"
            )
            export_time = base_time = 0.0
            exported = 0
            client = ConnexionClient(plan.transport)
            base_client = ConnexionClient(plan.transport)
            for start in range(0, len(ids), args.chunk):
                began = time.perf_counter()
                for event in run_export(
                    save_file, plan, ids[start : start + args.chunk], client=client
                ):
                    if isinstance(event, RecordOutcome) and event.outcome == "exported":
                        exported += 1
                export_time += time.perf_counter() - began
                began = time.perf_counter()
                base_client.start_run()
                for index, data in enumerate(sent[start : start + args.chunk]):
                    base_client.send(data, index)
                base_time += time.perf_counter() - began
            client.close()
            base_client.close()
            n = len(ids)
            print(
                f"end to end {n / export_time:7.0f} rec/s   bare transport "
                f"{n / base_time:7.0f} rec/s   ratio {base_time / export_time:.2f}   "
                f"({exported} exported)"
            )
            save_file.close()
        finally:
            if server.pid is not None:
                os.kill(server.pid, signal.SIGINT)
            server.join(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
