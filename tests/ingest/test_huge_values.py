"""A huge value is quoted, not copied, by the messages about it; the quarantined row keeps it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.findings import QUOTE_CHARS
from lienthong.ingest.service import list_quarantine
from tests.cli import run_cli
from tests.ingest.factories import SYSTEM, citizen_row, register_system, write_citizens
from tests.paging import a_page


def test_a_5_mb_value_is_quoted_not_copied_by_messages(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    huge = "A" * 5_000_000
    rows = [citizen_row(1), citizen_row(2, full_name=huge)]
    path = write_citizens(tmp_path / "huge.csv", rows)
    limit = 2 * QUOTE_CHARS + 500  # a message quoting the value, with its own words

    response = client.post(
        "/api/v1/ingest/citizen",
        params={"system": SYSTEM, "filename": path.name},
        content=path.read_bytes(),
        headers=operator,
    )
    assert response.status_code == 201, response.text
    assert len(response.content) < 20_000
    batch = response.json()
    (example,) = batch["report"]["examples"]
    assert (example["row"], example["field"], example["code"]) == (2, "full_name", "too-long")
    assert len(example["message"]) < limit
    assert "(5000000 ký tự / characters)" in example["message"]
    with transaction(engine) as session:
        (entry,), _ = list_quarantine(session=session, batch_id=batch["id"], page=a_page())
        assert all(len(f["message"]) < limit for f in entry.findings)
        assert entry.values["full_name"] == huge  # the row keeps the value as sent

    out = tmp_path / "findings.csv"
    run = run_cli(
        settings, "ingest", "check", str(path), "--standard", "citizen", "--findings-out", str(out)
    )
    assert run.returncode == 2, run.stderr
    assert out.stat().st_size < limit * 2
    (found,) = csv.DictReader(io.StringIO(out.read_text("utf-8")))
    assert found["code"] == "too-long" and len(found["message"]) < limit
