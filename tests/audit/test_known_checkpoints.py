"""Checkpoints kept outside the database: verify proves the log still extends each of them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from lienthong.audit.service import audit_keys
from lienthong.audit.verify import verify
from lienthong.config import Settings
from tests.audit.factories import append_reads, checkpoint_rows, resign_checkpoints, rewrite_entry
from tests.cli import run_cli


def _line(row: dict[str, object]) -> str:
    return json.dumps({k: v for k, v in row.items() if v is not None})


def test_verify_proves_the_log_extends_a_checkpoint_held_outside(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    append_reads(engine, settings, 30, every=5)
    held = checkpoint_rows(engine)[1]  # a witness's copy, taken earlier
    witness = tmp_path / "witness.jsonl"
    witness.write_text(_line(held) + "\n")
    honest = run_cli(settings, "audit", "verify", "--json", "--since-checkpoint", str(witness))
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert json.loads(honest.stdout)["ok"] is True
    # An insider holding the signing key rewrites entry 3 and signs every checkpoint again.
    rewrite_entry(engine, 3, '"count":2', '"count":20')
    resign_checkpoints(engine, settings)
    with engine.connect() as conn:
        assert verify(conn, audit_keys(settings).signing_key.public_key()).ok
    caught = run_cli(settings, "audit", "verify", "--json", "--since-checkpoint", _line(held))
    assert caught.returncode == 1, caught.stdout + caught.stderr
    report = json.loads(caught.stdout)
    assert [(p["code"], p["seq"]) for p in report["problems"]] == [
        ("known-checkpoint-mismatch", held["seq"])
    ]


def test_a_checkpoint_that_is_not_one_is_refused_precisely(settings: Settings) -> None:
    for given in ('{"seq": "x"}', "/no/such/file.jsonl"):
        result = run_cli(settings, "audit", "verify", "--since-checkpoint", given)
        assert result.returncode == 1
        assert json.loads(result.stderr)["error"]["details"][0]["code"] == "invalid-checkpoint"
