"""The outside auditor's procedure in docs/audit.md runs as written on a real export."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.audit.verify import export
from lienthong.config import Settings
from tests.audit.factories import (
    append_reads,
    drop_checkpoints,
    resign_checkpoints,
    rewrite_entry,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def _script() -> str:
    return re.search(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.S).group(1)


def test_procedure_accepts_an_export_and_rejects_a_tampered_one(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    keys = audit_keys(settings)
    with engine.begin() as conn:
        chain.append(
            conn,
            [
                {
                    "action": "data.read",
                    "actor": {"kind": "system"},
                    "count": i,
                    "outcome": "ok",
                    "purpose": "thuế",
                }
                for i in range(7)
            ],
            signer=chain.Signer.of(keys.signing_key, keys.key_id, 3, 60),
        )
    with engine.connect() as conn:
        export(conn, keys.signing_key.public_key(), tmp_path)
    script = tmp_path / "check.py"
    script.write_text(_script())
    ok = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.strip() == "ok 7 entries", ok.stderr
    lines = (tmp_path / "entries.jsonl").read_text("utf-8").splitlines()
    lines[4] = lines[4].replace('\\"count\\":4', '\\"count\\":40')
    (tmp_path / "entries.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    bad = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode != 0 and "entry 5" in bad.stderr


def _run(folder: Path, *extra: Path) -> subprocess.CompletedProcess[str]:
    script = folder / "check.py"
    script.write_text(_script())
    return subprocess.run(
        [sys.executable, str(script), str(folder), *map(str, extra)],
        capture_output=True,
        text=True,
    )


def test_procedure_rejects_a_rewrite_whose_checkpoints_were_deleted(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    append_reads(engine, settings, 30, every=5)
    rewrite_entry(engine, 8, '"count":7', '"count":70')
    drop_checkpoints(engine, from_seq=8)
    with engine.connect() as conn:
        export(conn, audit_keys(settings).signing_key.public_key(), tmp_path)
    result = _run(tmp_path)
    assert result.returncode != 0 and "checkpoint missing" in result.stderr, result.stdout


def test_procedure_holds_the_log_to_checkpoints_kept_elsewhere(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    key = audit_keys(settings).signing_key.public_key()
    append_reads(engine, settings, 30, every=5)
    kept = tmp_path / "witness.jsonl"
    with engine.connect() as conn:
        export(conn, key, tmp_path / "before")
    kept.write_text((tmp_path / "before" / "checkpoints.jsonl").read_text())
    # An insider holding the signing key rewrites entry 3 and signs every checkpoint again.
    rewrite_entry(engine, 3, '"count":2', '"count":20')
    resign_checkpoints(engine, settings)
    with engine.connect() as conn:
        export(conn, key, tmp_path / "after")
    alone = _run(tmp_path / "after")
    assert alone.returncode == 0, alone.stderr  # the export alone cannot tell
    held = _run(tmp_path / "after", kept)
    assert held.returncode != 0 and "checkpoint 6" in held.stderr, held.stdout
