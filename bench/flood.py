"""An anonymous flood against a real server: what it costs the audit log.

    python bench/flood.py [--quick]

Starts `lienthong serve` on 127.0.0.1 (temp data directory, SQLite), sends one request with a
4 MB `X-Purpose` header, then floods `GET /api/v1/data/...` with bad bearer tokens on 50
keep-alive connections for 10 s (5 s with --quick). Counts the audit entries and bytes the
flood added. Baseline, measured in the same run: the same flood with the per-address refusal
limit switched off (`LIENTHONG_SOURCE_REFUSAL_LIMIT=0`).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import free_port, run_load, start_server, wait_ready

TOKEN = "bench-operator-token-0123456789abcdef"  # noqa: S105 - a throwaway bench server
PATH = "/api/v1/data/citizen/033090000001"
BAD = {"Authorization": "Bearer not.a.token", "X-Purpose": "public-service"}


def audit_size(database: Path) -> tuple[int, int, int]:
    """Entries, bytes of their bodies, and the largest body."""
    with sqlite3.connect(database) as conn:
        count, total, largest = conn.execute(
            "SELECT count(*), coalesce(sum(length(CAST(body AS BLOB))), 0), "
            "coalesce(max(length(CAST(body AS BLOB))), 0) FROM audit_entries"
        ).fetchone()
    return int(count), int(total), int(largest)


def flood(seconds: float, limit: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "LIENTHONG_ENVIRONMENT": "test",
            "LIENTHONG_DATA_DIR": tmp,
            "LIENTHONG_OPERATOR_TOKEN": TOKEN,
            "LIENTHONG_LOG_LEVEL": "warning",
        }
        env.pop("LIENTHONG_DATABASE_URL", None)
        if limit is not None:
            env["LIENTHONG_SOURCE_REFUSAL_LIMIT"] = limit
        port = free_port()
        server = start_server(env, port)
        try:
            wait_ready("127.0.0.1", port)
            base = f"http://127.0.0.1:{port}"
            while httpx.get(f"{base}/readyz", timeout=5).status_code != 200:
                time.sleep(0.2)
            database = Path(tmp) / "lienthong.db"
            before = audit_size(database)
            big = httpx.get(
                base + PATH, headers=BAD | {"X-Purpose": "x" * 4_000_000}, timeout=30
            ).status_code
            result = run_load(
                "127.0.0.1", port, [PATH], connections=50, seconds=seconds, headers=BAD
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
        after = audit_size(database)
    return {
        "requests": result.requests,
        "requests_per_s": round(result.per_second),
        "huge_header_status": big,
        "entries": after[0] - before[0],
        "bytes": after[1] - before[1],
        "largest_entry_bytes": after[2],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 5.0 if args.quick else 10.0
    unlimited = flood(seconds, "0")
    default = flood(seconds, None)
    ratio = default["bytes"] / max(1, unlimited["bytes"])  # type: ignore[operator]
    for name, row in (("no per-address limit", unlimited), ("default settings", default)):
        print(
            f"{name}: {row['requests']} bad-token requests in {seconds:.0f} s -> "
            f"{row['entries']} audit entries, {row['bytes']} bytes "
            f"(largest {row['largest_entry_bytes']}; "
            f"4 MB header answered {row['huge_header_status']})"
        )
    print(f"audit bytes per flood, default vs no limit: ratio {ratio:.4f}")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "unlimited": unlimited,
                "default": default,
                "bytes_ratio": round(ratio, 5),
            }
        )
    )


if __name__ == "__main__":
    main()
