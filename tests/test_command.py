"""The ``lienthong`` executable: ``ingest`` loads its own commands only, with the same help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Run as the installed ``lienthong`` script runs (its entry point), reporting what it loaded.
PROBE = """
import json, sys
sys.argv = ["lienthong", *json.loads(sys.argv[1])]
from lienthong.{module} import main
try:
    main()
except SystemExit as done:
    code = done.code
heavy = sorted({{"splink", "duckdb", "scipy", "pyarrow", "uvicorn"}} & set(sys.modules))
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def _run(module: str, *args: str) -> tuple[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "LIENTHONG_ENVIRONMENT": "test"},
    )
    *shown, last = done.stdout.splitlines()
    return "\n".join(shown), json.loads(last)


@pytest.mark.parametrize("args", [("ingest", "--help"), ("ingest", "file", "--help")])
def test_ingest_loads_no_other_domain_and_helps_the_same(args: tuple[str, ...]) -> None:
    light, loaded = _run("command", *args)
    whole, loaded_whole = _run("cli", *args)
    assert loaded == {"code": 0, "heavy": []}
    assert loaded_whole["heavy"], "the whole tree loads the other domains"
    assert "--standard" in light or "file" in light
    assert light == whole


def test_other_commands_load_the_whole_tree() -> None:
    shown, loaded = _run("command", "--help")
    assert loaded["code"] == 0
    assert "linkage" in shown and "ingest" in shown
    assert shown == _run("cli", "--help")[0]
