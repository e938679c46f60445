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
            key=keys.signing_key,
            key_id=keys.key_id,
            checkpoint_every=3,
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
