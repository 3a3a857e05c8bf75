"""``exportdesk send`` and ``exportdesk receive`` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.net.receiver import Fault, FaultMode, Receiver, ReplyStyle
from app.main import main
from tests.fixtures.network import (
    KEYRING_VARIABLE,
    LOOPBACK,
    ReceiverFactory,
    TlsFiles,
    sample_records,
)

ROOT = Path(__file__).resolve().parents[2]
RECORDS = sample_records(3)


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "records.mrc"
    path.write_bytes(b"".join(RECORDS))
    return path


def send_args(receiver: Receiver | int, *extra: str) -> list[str]:
    port = receiver if isinstance(receiver, int) else receiver.port
    return ["send", "--host", LOOPBACK, "--port", str(port), *extra]


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


# --- send ----------------------------------------------------------------------------------------


def test_send_json_lines_and_exit_0(
    receiver: Receiver, records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(send_args(receiver, "--json", str(records_file))) == 0
    lines = json_lines(capsys.readouterr().out)
    assert lines == [
        {
            "index": n,
            "outcome": "exported",
            "reply": "Import ok",
            "attempts": 1,
            "reason": "Import ok",
        }
        for n in range(3)
    ]
    assert [p.read_bytes() for p in receiver.record_files()] == RECORDS


def test_send_text_lines_and_a_summary(
    receiver: Receiver, records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(send_args(receiver, str(records_file))) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "record 1 of 3: exported (1 attempt): Import ok"
    assert "3 record(s): 3 exported" in err


def test_send_counts_records_across_files(
    receiver: Receiver, records_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = tmp_path / "more.mrc"
    second.write_bytes(RECORDS[0] + b"\n")  # a line end after the last record is harmless
    assert main(send_args(receiver, "--json", str(records_file), str(second))) == 0
    assert [line["index"] for line in json_lines(capsys.readouterr().out)] == [0, 1, 2, 3]


def test_send_with_logon_and_password_from_the_environment(
    start_receiver: ReceiverFactory,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = start_receiver(
        style=ReplyStyle.KOHA, logon_id="01CARLI_NETWORK", password="Sekr1t-pw"
    )
    monkeypatch.setenv("EXPORT_PASSWORD", "Sekr1t-pw")
    args = ["--logon-id", "01CARLI_NETWORK", "--password-env", "EXPORT_PASSWORD"]
    args += ["--user-id", "kohauser", "--permanent", "--json", str(records_file)]
    assert main(send_args(receiver, *args)) == 0
    out, err = capsys.readouterr()
    assert [line["outcome"] for line in json_lines(out)] == ["exported"] * 3
    assert "Sekr1t-pw" not in out + err
    assert [r.tags for r in receiver.requests] == ["UAP"] * 3  # Koha closes: a new logon each


def test_send_a_rejected_record_exits_1(
    start_receiver: ReceiverFactory,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = start_receiver(logon_id="lib", password="right")
    monkeypatch.setenv("EXPORT_PASSWORD", "wrong")
    args = ["--logon-id", "lib", "--password-env", "EXPORT_PASSWORD", "--json", str(records_file)]
    assert main(send_args(receiver, *args)) == 1
    lines = json_lines(capsys.readouterr().out)
    assert {line["outcome"] for line in lines} == {"rejected"}
    assert str(lines[0]["reply"]).startswith("Error: access denied")


def test_send_to_a_host_that_refuses_exits_1(
    start_receiver: ReceiverFactory, records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = start_receiver(fault=Fault(FaultMode.REFUSE))
    assert main(send_args(receiver, "--retries", "1", "--json", str(records_file))) == 1
    lines = json_lines(capsys.readouterr().out)
    assert [(line["outcome"], line["attempts"]) for line in lines] == [
        ("not_sent", 2),
        ("not_sent", 0),
        ("not_sent", 0),
    ]
    assert lines[0]["reply"] is None
    assert str(lines[0]["reason"]).startswith("Connection refused")


def test_send_no_notify_half_closes(
    receiver: Receiver, records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(send_args(receiver, "--no-notify", "--permanent", str(records_file))) == 0
    assert {r.ended_by for r in receiver.requests} == {"complete record"}
    assert receiver.connections == 3  # a half-closed connection can't carry another request


def test_send_over_tls(
    start_receiver: ReceiverFactory,
    tls_files: TlsFiles,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receiver = start_receiver(tls=tls_files.server_context)
    args = ["--tls", "--ca-file", str(tls_files.ca_file), "--permanent", str(records_file)]
    assert main(send_args(receiver, *args)) == 0
    assert receiver.connections == 1


@pytest.mark.parametrize("option", ["--logon-id", "--user-id"])
def test_send_a_value_over_191_bytes_is_bad_usage(
    receiver: Receiver, records_file: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    assert main(send_args(receiver, option, "é" * 96, str(records_file))) == 2
    err = capsys.readouterr().err
    assert "192 bytes" in err and option.strip("-").replace("-", "_") in err
    assert receiver.connections == 0


def test_send_a_password_over_191_bytes_is_bad_usage_and_never_shown(
    receiver: Receiver,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPORT_PASSWORD", "S" * 192)
    args = ["--logon-id", "lib", "--password-env", "EXPORT_PASSWORD", str(records_file)]
    assert main(send_args(receiver, *args)) == 2
    out, err = capsys.readouterr()
    assert "password" in err and "S" * 20 not in out + err
    assert receiver.connections == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--password-env", "EXPORT_PASSWORD"], "--password-env needs --logon-id"),
        (
            ["--logon-id", "lib", "--password-env", "NOT_SET_ANYWHERE"],
            "NOT_SET_ANYWHERE is not set",
        ),
        (["--ca-file", "ca.pem"], "--ca-file needs --tls"),
    ],
)
def test_send_bad_usage_exits_2(
    receiver: Receiver,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    assert main(send_args(receiver, *extra, str(records_file))) == 2
    assert message in capsys.readouterr().err
    assert receiver.connections == 0


def test_send_files_that_hold_no_records_exit_2(
    receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.mrc"
    truncated.write_bytes(RECORDS[0][:-10])
    assert main(send_args(receiver, str(tmp_path / "missing.mrc"))) == 2
    assert "Can't read" in capsys.readouterr().err
    assert main(send_args(receiver, str(empty))) == 2
    assert "empty.mrc: the file is empty; nothing was sent" in capsys.readouterr().err
    assert main(send_args(receiver, str(truncated))) == 2
    assert "cut.mrc: record 1:" in capsys.readouterr().err
    assert receiver.connections == 0


@pytest.mark.parametrize("extra", [["--port", "0"], ["--timeout", "0"], ["--retries", "100"]])
def test_send_values_out_of_range_exit_2(
    records_file: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["send", "--host", LOOPBACK, "--port", "5500", *extra, str(records_file)])
    assert raised.value.code == 2


# --- receive -------------------------------------------------------------------------------------


def start_receive(
    tmp_path: Path, *extra: str, env: dict[str, str] | None = None, module: str = "app"
) -> tuple[subprocess.Popen[str], int]:
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            module,
            "receive",
            "--port",
            "0",
            "--out",
            str(tmp_path / "in"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"Listening on 127\.0\.0\.1 port (\d+)", first)
    if match is None:
        process.kill()
        pytest.fail(f"no port in {first!r}; stderr: {process.communicate()[1]}")
    return process, int(match.group(1))


@pytest.mark.parametrize("stop_signal", ["SIGINT", "SIGTERM"])
def test_receive_until_interrupted(
    tmp_path: Path,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stop_signal: str,
) -> None:
    process, port = start_receive(
        tmp_path,
        "--style",
        "koha",
        "--logon-id",
        "01CARLI_NETWORK",
        "--password-env",
        "RECEIVER_PASSWORD",
        env={"RECEIVER_PASSWORD": "Sekr1t-pw"},
    )
    try:
        monkeypatch.setenv("EXPORT_PASSWORD", "Sekr1t-pw")
        args = ["--logon-id", "01CARLI_NETWORK", "--password-env", "EXPORT_PASSWORD"]
        assert main(send_args(port, *args, str(records_file))) == 0
    finally:
        process.send_signal(getattr(signal, stop_signal))
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [
        "000001.mrc",
        "000002.mrc",
        "000003.mrc",
    ]
    assert len([line for line in err.splitlines() if "request 1" in line]) == 3
    assert "Sekr1t-pw" not in out + err
    assert "Traceback" not in err


def test_receive_with_a_fault(
    tmp_path: Path, records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process, port = start_receive(tmp_path, "--fault", "error:Disk full", "--fault-first", "1")
    try:
        assert main(send_args(port, "--json", str(records_file))) == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    lines = json_lines(capsys.readouterr().out)
    assert [line["outcome"] for line in lines] == ["rejected", "exported", "exported"]
    assert lines[0]["reply"] == "Error: Disk full"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--logon-id", "lib", "--password-keyring"], "No receiver password for lib"),
        (["--password-keyring"], "needs --logon-id"),
        (
            ["--logon-id", "lib", "--password-env", "NOT_SET_ANYWHERE"],
            "NOT_SET_ANYWHERE is not set",
        ),
        (["--fault", "explode"], "Unknown fault mode"),
        (["--fault", "refuse", "--fault-first", "2"], "can't be limited"),
        (["--fault-first", "2"], "--fault-first needs --fault"),
        (["--tls-cert", "cert.pem"], "go together"),
    ],
)
def test_receive_bad_usage_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["receive", "--port", "0", "--out", str(tmp_path / "in"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_receive_takes_at_least_one_connection_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["receive", "--port", "0", "--out", str(tmp_path / "in"), "--max-connections", "0"])
    assert exited.value.code == 2
    assert "max-connections must be between 1 and 1000" in capsys.readouterr().err
    for odd in ("1_0", "\u0661\u0660"):  # int() takes both: 10
        with pytest.raises(SystemExit) as exited:
            main(
                ["receive", "--port", "0", "--out", str(tmp_path / "in"), "--max-connections", odd]
            )
        assert exited.value.code == 2
        assert "max-connections must be a whole number" in capsys.readouterr().err


def test_receive_password_from_the_keyring(
    tmp_path: Path,
    records_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring_env = {KEYRING_VARIABLE: json.dumps({"exportdesk/receiver/lib": "from-keyring"})}
    process, port = start_receive(
        tmp_path,
        "--logon-id",
        "lib",
        "--password-keyring",
        env=keyring_env,
        module="tests.fixtures.run_with_test_keyring",  # the keyring comes through the test seam
    )
    try:
        args = ["--logon-id", "lib", "--password-env", "EXPORT_PASSWORD", "--json"]
        monkeypatch.setenv("EXPORT_PASSWORD", "from-keyring")
        assert main(send_args(port, *args, str(records_file))) == 0
        monkeypatch.setenv("EXPORT_PASSWORD", "something else")
        assert main(send_args(port, *args, str(records_file))) == 1
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "from-keyring" not in out + err
