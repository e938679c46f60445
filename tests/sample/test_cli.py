"""``lienthong sample`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lienthong.cli import app


def test_sample_json_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sample", "--out", str(tmp_path), "--persons", "300", "--seed", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["persons"] == 300
    assert summary["province"] == "33"
    assert {f["name"] for f in summary["files"]} == {
        "citizens.csv", "businesses.xlsx", "health_insurance.jsonl",
        "health_insurance_2024.jsonl", "land_parcels.csv",
    }  # fmt: skip
    assert (tmp_path / "truth.json").is_file()


def test_sample_table_and_bad_noise(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sample", "--out", str(tmp_path), "--persons", "50"])
    assert result.exit_code == 0, result.output
    assert "citizens.csv" in result.stdout
    bad = CliRunner().invoke(app, ["sample", "--out", str(tmp_path), "--noise", "2"])
    assert bad.exit_code != 0
    assert getattr(bad.exception, "code", None) == "invalid-sample-option"
