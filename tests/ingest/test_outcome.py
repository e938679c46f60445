"""A load that quarantines rows says so: exit status, ``--max-invalid``, the HTTP answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.outcome import MaxInvalid
from lienthong.ingest.service import get_batch, list_quarantine
from tests.cli import run_cli
from tests.ingest.factories import SYSTEM, citizen_row, register_system, write_citizens
from tests.paging import a_page

BAD_DATE = {"date_of_birth": "17/05/1990x"}


def _ingest(settings: Settings, path: Path, *extra: str):
    return run_cli(
        settings,
        "ingest",
        str(path),
        "--standard",
        "citizen",
        "--system",
        SYSTEM,
        "--json",
        *extra,
    )


def test_every_row_quarantined_exits_4_and_the_batch_keeps_them(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "all_bad.csv", [citizen_row(i, **BAD_DATE) for i in range(5)])
    run = _ingest(settings, path)
    assert run.returncode == 4, run.stderr
    batch = json.loads(run.stdout)
    assert (batch["rows_loaded"], batch["rows_quarantined"]) == (0, 5)
    assert batch["outcome"] == "nothing-loaded"
    assert batch["message"].startswith("Không nạp được dòng nào")
    with transaction(engine) as session:
        assert get_batch(session=session, batch_id=batch["id"]).status == "completed"
        entries, _ = list_quarantine(session=session, batch_id=batch["id"], page=a_page())
        assert len(entries) == 5


@pytest.mark.parametrize(
    ("extra", "status"),
    [((), 3), (("--max-invalid", "0"), 4), (("--max-invalid", "1"), 3),
     (("--max-invalid", "20%"), 4), (("--max-invalid", "25%"), 3), (("--max-invalid", "50%"), 3)],
)  # fmt: skip
def test_some_rows_quarantined_exit_3_or_4_over_max_invalid(
    engine: Engine, settings: Settings, tmp_path: Path, extra: tuple[str, ...], status: int
) -> None:
    register_system(engine, settings)
    rows = [citizen_row(i) for i in range(1, 4)] + [citizen_row(4, **BAD_DATE)]
    run = _ingest(settings, write_citizens(tmp_path / "some_bad.csv", rows), *extra)
    assert run.returncode == status, run.stderr
    batch = json.loads(run.stdout)
    assert (batch["rows_loaded"], batch["rows_quarantined"]) == (3, 1)  # loaded either way
    assert batch["outcome"] == "partly-quarantined"


def test_every_row_loaded_exits_0_and_a_bad_limit_is_a_usage_error(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "good.csv", [citizen_row(i) for i in range(1, 4)])
    run = _ingest(settings, path, "--max-invalid", "0")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["outcome"] == "loaded"
    assert _ingest(settings, path, "--max-invalid", "five").returncode == 2


def test_max_invalid_reads_a_count_or_a_percentage() -> None:
    assert MaxInvalid.parse("0") == MaxInvalid(0, percent=False)
    assert MaxInvalid.parse("5%") == MaxInvalid(5, percent=True)
    assert MaxInvalid.parse("2.5%").exceeded(rows_read=100, rows_quarantined=3)
    assert not MaxInvalid.parse("2.5%").exceeded(rows_read=100, rows_quarantined=2)
    for bad in ("-1", "1.5", "101%", "x"):
        with pytest.raises(ValueError):
            MaxInvalid.parse(bad)


def test_the_http_answer_says_how_many_rows_were_quarantined(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "all_bad.csv", [citizen_row(i, **BAD_DATE) for i in range(3)])
    response = client.post(
        "/api/v1/ingest/citizen",
        params={"system": SYSTEM, "filename": path.name},
        content=path.read_bytes(),
        headers=operator,
    )
    assert response.status_code == 201, response.text  # unchanged: clients rely on it
    assert response.headers["X-Lienthong-Quarantined"] == "3"
    body = response.json()
    assert (body["outcome"], body["rows_quarantined"]) == ("nothing-loaded", 3)
    assert "3/3 dòng bị cách ly" in body["message"]


def test_a_replay_exits_as_an_ingest_does(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Rows still quarantined after a replay are not a success either: 4, then 0 once fixed."""
    register_system(engine, settings)
    rows = [citizen_row(i, **BAD_DATE) for i in range(2)]
    batch = json.loads(_ingest(settings, write_citizens(tmp_path / "bad.csv", rows)).stdout)
    unfixed = run_cli(settings, "ingest", "replay", str(batch["id"]), "--json")
    assert unfixed.returncode == 4, unfixed.stderr
    assert json.loads(unfixed.stdout)["outcome"] == "nothing-loaded"
    with transaction(engine) as session:
        entries, _ = list_quarantine(session=session, batch_id=batch["id"], page=a_page())
    good = citizen_row(0)["date_of_birth"]
    fixes = tmp_path / "fixes.jsonl"
    fixes.write_text(
        "\n".join(json.dumps({"id": e.id, "values": {"date_of_birth": good}}) for e in entries),
        "utf-8",
    )
    fixed = run_cli(settings, "ingest", "replay", str(batch["id"]), "--fixes", str(fixes), "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["rows_loaded"] == len(rows)
