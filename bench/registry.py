"""Unit-lookup requests per second through a real server, beside its /healthz rate.

    python bench/registry.py [--quick]

Starts `lienthong serve` on 127.0.0.1 with a fresh embedded database, then alternates rounds
of /healthz and of unit lookups (random communes of both code-list versions, with ancestors and
children) from a keep-alive load generator; reports medians and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import free_port, median, run_load, start_server, wait_ready

DATA = Path(__file__).resolve().parents[1] / "src" / "lienthong" / "registry" / "data"


def lookup_paths(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    with (DATA / "units_2025.csv").open(encoding="utf-8") as handle:
        new = [r["code"] for r in csv.DictReader(handle)]
    with (DATA / "units_pre2025_to_2025.csv").open(encoding="utf-8") as handle:
        old = [r["old_commune_code"] for r in csv.DictReader(handle)]
    paths = [f"/api/v1/units/{rng.choice(new)}?version=2025" for _ in range(count // 2)]
    paths += [f"/api/v1/units/{rng.choice(old)}?version=pre2025" for _ in range(count // 2)]
    rng.shuffle(paths)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short rounds (under a minute)")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    seconds, rounds = (3.0, 3) if args.quick else (10.0, 5)

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = os.environ | {
            "LIENTHONG_ENVIRONMENT": "development",
            "LIENTHONG_DATA_DIR": tmp,
            "LIENTHONG_LOG_LEVEL": "warning",
        }
        env.pop("LIENTHONG_DATABASE_URL", None)
        server = start_server(env, port)
        try:
            wait_ready("127.0.0.1", port, timeout=120)
            paths = lookup_paths(2000)
            run_load("127.0.0.1", port, paths[:50], connections=4, seconds=1.0)  # warm up
            health, lookups, p99 = [], [], []
            for _ in range(rounds):
                h = run_load(
                    "127.0.0.1", port, ["/healthz"], connections=args.connections, seconds=seconds
                )
                u = run_load(
                    "127.0.0.1", port, paths, connections=args.connections, seconds=seconds
                )
                if u.errors or h.errors:
                    raise SystemExit(
                        f"errors during the run: {u.errors} lookups, {h.errors} healthz"
                    )
                health.append(h.per_second)
                lookups.append(u.per_second)
                p99.append(u.percentile(99))
                print(
                    f"round: healthz {h.per_second:8.0f}/s   unit lookup "
                    f"{u.per_second:8.0f}/s  p50 {u.percentile(50):6.1f} ms  "
                    f"p99 {u.percentile(99):6.1f} ms",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "bench": "registry",
        "connections": args.connections,
        "rounds": rounds,
        "lookups_per_s": round(median(lookups), 1),
        "healthz_per_s": round(median(health), 1),
        "ratio": round(median(lookups) / median(health), 3),
        "lookup_p99_ms": round(median(p99), 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
