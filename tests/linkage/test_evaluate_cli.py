"""``lienthong linkage evaluate`` with a CSV truth: the hold-out commands of docs/linkage.md run
as written, through the real CLI, on the test's database."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.models import Batch
from tests.cli import run_cli
from tests.ingest.factories import register_system

ROOT = Path(__file__).resolve().parents[2]
FLAT = ("precision", "recall", "f1", "coverage", "records", "truth_records", "review_pending")


def _commands() -> list[list[str]]:
    text = (ROOT / "docs" / "linkage.md").read_text("utf-8")
    section = text.split("### Scoring the hold-out data set", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def _run(settings: Settings, argv: list[str]) -> subprocess.CompletedProcess[str]:
    if argv[0] == "python":
        return subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, check=False, cwd=ROOT
        )
    assert argv[0] == "lienthong", argv
    mappings = [i + 1 for i, a in enumerate(argv) if a == "--mapping"]
    for i in mappings:  # the docs name them from a checkout's root
        argv[i] = str(ROOT / argv[i])
    return run_cli(settings, *argv[1:])


def _pairs(truth: pl.DataFrame) -> int:
    sizes = truth.group_by("entity_id").len().get_column("len")
    return int((sizes * (sizes - 1) // 2).sum())


def test_the_documented_holdout_commands_score_missed_records(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    system = register_system(engine, settings)
    out = None
    for argv in _commands():
        argv = [a.replace("DIR", str(tmp_path)).replace("SYS", system) for a in argv]
        done = _run(settings, argv)
        # 3: an ingest that quarantined some rows, as the hold-out's bad rows are.
        assert done.returncode in (0, 3), (argv, done.stderr)
        out = done.stdout
    assert out is not None
    figures = json.loads(out)
    assert set(FLAT) <= set(figures)

    truth = pl.read_csv(tmp_path / "truth.csv", infer_schema=False)
    with transaction(engine) as session:
        batches = {b.source_name: b for b in session.scalars(select(Batch))}
    quarantined = sum(b.rows_quarantined for b in batches.values())
    assert quarantined > 0  # population, health and land each have rows that do not load
    # Every truth row is scored; a quarantined row reached nothing and is missed.
    assert figures["truth_records"] == truth.height
    assert figures["records"] == truth.height - quarantined
    assert figures["coverage"] == round(figures["records"] / truth.height, 4) < 1
    for name, counts in figures["sources"].items():
        assert counts["records"] == batches[name].rows_loaded
    # The true pairs of missed records are counted (and cannot be found).
    assert figures["pairs_true"] == _pairs(truth)
    assert figures["unlinked"] == 0 and figures["review_pending"] >= 0
    assert figures["precision"] >= 0.98 and figures["recall"] >= 0.9, figures


def test_a_truth_csv_without_its_columns_is_refused(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "truth.csv"
    bad.write_text("file,row,person\npopulation.csv,1,P1\n", "utf-8")
    done = run_cli(settings, "linkage", "evaluate", "--truth", str(bad), "--json")
    assert done.returncode != 0
    error = json.loads(done.stdout or done.stderr)["error"]
    assert error["code"] == "invalid-truth" and "record_id" in error["message"]
