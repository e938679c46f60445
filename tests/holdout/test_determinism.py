"""Same seed, same bytes; another seed, other data; the command line makes the same files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lienthong.holdout import generate

FILES = (
    "population.csv",
    "health_insurance.csv",
    "land.csv",
    "truth.csv",
    "entities.csv",
    "manifest.json",
)
_COMMAND = (sys.executable, "-m", "lienthong.holdout")


def _bytes(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = generate(out_dir=tmp_path / "a", persons=3000, seed=11)
    second = generate(out_dir=tmp_path / "b", persons=3000, seed=11)
    assert first == second
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")


def test_another_seed_changes_every_file(tmp_path: Path) -> None:
    generate(out_dir=tmp_path / "a", persons=3000, seed=11)
    generate(out_dir=tmp_path / "b", persons=3000, seed=12)
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert all(a[name] != b[name] for name in FILES)


def test_command_line_writes_the_same_files(tmp_path: Path) -> None:
    generate(out_dir=tmp_path / "api", persons=1500, seed=3)
    done = subprocess.run(
        [*_COMMAND, "--out", str(tmp_path / "cli"), "--persons", "1500", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["files"]["entities.csv"] == 1500
    assert _bytes(tmp_path / "api") == _bytes(tmp_path / "cli")


def test_command_line_refuses_a_population_of_none(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_COMMAND, "--out", str(tmp_path), "--persons", "0"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert not (tmp_path / "truth.csv").exists()
