"""``lienthong soc alerts`` and ``soc targets`` as a user runs them: a real process."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from lienthong.config import Settings
from tests.cli import run_cli
from tests.soc.alerts.factories import alert, finding, store


def test_list_ack_resolve_and_a_target_from_the_command_line(
    engine: Engine, settings: Settings
) -> None:
    [one] = store(engine, settings, finding([7, 8]))
    listed = run_cli(settings, "soc", "alerts", "list", "--status", "open", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["id"] for a in json.loads(listed.stdout)] == [one]
    shown = json.loads(run_cli(settings, "soc", "alerts", "show", str(one)).stdout)
    assert shown["evidence"] == [7, 8]
    no_reason = run_cli(settings, "soc", "alerts", "ack", str(one), "--reason", " ")
    assert no_reason.returncode != 0
    assert json.loads(no_reason.stderr)["error"]["code"] == "validation-failed"
    assert run_cli(settings, "soc", "alerts", "ack", str(one), "--reason", "xem").returncode == 0
    twice = run_cli(settings, "soc", "alerts", "ack", str(one), "--reason", "xem")
    assert twice.returncode != 0
    assert json.loads(twice.stderr)["error"]["code"] == "alert-transition"
    assert (
        run_cli(settings, "soc", "alerts", "resolve", str(one), "--reason", "xong").returncode == 0
    )
    got = alert(engine, one)
    assert got["status"] == "resolved" and got["resolved_by"].startswith("operator (cli: ")

    added = run_cli(settings, "soc", "targets", "add", "siem", "webhook", "https://siem.test/h")
    assert added.returncode == 0, added.stderr
    secret = json.loads(added.stdout)["secret"]
    assert secret.startswith("whsec_")
    targets = run_cli(settings, "soc", "targets", "list", "--json")
    assert [t["name"] for t in json.loads(targets.stdout)] == ["siem"]
    assert secret not in targets.stdout
