"""Run ``lienthong`` as a user would: a real process on the test's database and data folder."""

from __future__ import annotations

import os
import subprocess
import sys

from lienthong.config import Settings


def run_cli(
    settings: Settings, *args: str, timeout: int = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = (
        os.environ
        | (env or {})
        | {
            "LIENTHONG_DATABASE_URL": settings.resolved_database_url,
            "LIENTHONG_DATA_DIR": str(settings.data_dir),
            "LIENTHONG_ENVIRONMENT": "test",  # keys (the audit's among them) generated in data_dir
            "LIENTHONG_AUTO_UPGRADE": "false",
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "lienthong.command", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
