"""``lienthong soc export`` and ``lienthong soc forward`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from syslog_rfc5424_parser import SyslogMessage

from lienthong.config import Settings
from tests.cli import run_cli
from tests.soc.siem.conftest import append_entries
from tests.soc.siem.receiver import Receiver


def test_export_writes_ecs_lines_and_syslog_lines_and_is_audited(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    seqs = append_entries(engine, settings, 5)
    out = tmp_path / "audit.jsonl"
    done = run_cli(settings, "soc", "export", "--format", "ecs", "--output", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [d["event"]["sequence"] for d in lines] == seqs
    syslog = run_cli(settings, "soc", "export", "--format", "syslog", "--since", "2000-01-01")
    assert syslog.returncode == 0, syslog.stderr
    parsed = [SyslogMessage.parse(line) for line in syslog.stdout.splitlines()]
    assert [int(m.sd["audit@32473"]["seq"]) for m in parsed][: len(seqs)] == seqs
    assert parsed[-1].msgid == "soc.export"  # the first export, audited
    future = run_cli(settings, "soc", "export", "--since", "2999-01-01")
    assert future.returncode == 0 and future.stdout == ""


def test_export_refuses_a_bad_format_or_time(settings: Settings, engine: Engine) -> None:
    bad = run_cli(settings, "soc", "export", "--format", "cef")
    assert bad.returncode == 2
    assert json.loads(bad.stderr)["error"]["details"][0]["code"] == "invalid-export-format"
    when = run_cli(settings, "soc", "export", "--until", "yesterday")
    assert json.loads(when.stderr)["error"]["details"][0]["code"] == "invalid-date-time"
    target = run_cli(settings, "soc", "forward", "--to", "udp://127.0.0.1:514")
    assert json.loads(target.stderr)["error"]["details"][0]["code"] == "invalid-syslog-target"


def test_forward_once_delivers_everything_to_a_receiver(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    seqs = append_entries(engine, settings, 12)
    done = run_cli(settings, "soc", "forward", "--to", f"tcp://127.0.0.1:{receiver.port}", "--once")
    assert done.returncode == 0, done.stderr
    assert receiver.wait_for(lambda m: len(m) >= 12)
    got = [int(SyslogMessage.parse(m.decode()).sd["audit@32473"]["seq"]) for m in receiver.messages]
    assert got == seqs
