"""Findings stored per second through the alert store (deduplicated, replay-safe), against
inserting the same findings as plain rows with no deduplication, in the same run.

    python bench/soc_alerts.py [--quick]

A temp SQLite database (or ``--database-url``); findings of a few rules over many group keys,
handed over in batches of 100 as the rules runner would, one transaction per batch; then the
whole stream replayed once (at-least-once delivery), which must change no count.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.prepare import prepare_database
from lienthong.soc.alerts import record
from lienthong.soc.alerts.models import Alert
from lienthong.soc.detection import Detection

BATCH = 100


def findings(n: int, groups: int) -> list[Detection]:
    start = datetime(2026, 11, 30, tzinfo=UTC)
    return [
        Detection(
            rule_id=f"rule-{i % 5}",
            rule_title=f"Rule {i % 5}",
            severity=("low", "medium", "high")[i % 3],
            group_key=f"system=H33.{i % groups:03d}",
            observed_at=start + timedelta(seconds=i),
            audit_seqs=(3 * i + 1, 3 * i + 2, 3 * i + 3),
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000
    folder = Path(tempfile.mkdtemp(prefix="soc-alerts-bench-"))
    settings = Settings(
        environment="test",
        data_dir=folder,
        database_url=args.database_url,
        operator_token=secrets.token_hex(32),
        auto_upgrade=False,
    )
    engine = make_engine(settings)
    prepare_database(engine)
    stream = findings(n, groups=200)

    began = time.perf_counter()
    for at in range(0, n, BATCH):
        with transaction(engine) as session:
            record(session=session, settings=settings, detections=stream[at : at + BATCH])
    stored_s = time.perf_counter() - began

    began = time.perf_counter()
    for at in range(0, n, BATCH):
        with transaction(engine) as session:
            record(session=session, settings=settings, detections=stream[at : at + BATCH])
    replay_s = time.perf_counter() - began
    with transaction(engine) as session:
        alerts = session.scalar(select(func.count()).select_from(Alert))
        occurrences = session.scalar(select(func.sum(Alert.occurrences)))

    # Baseline: the same findings as plain rows, one per finding, no dedup nor evidence.
    began = time.perf_counter()
    for at in range(0, n, BATCH):
        with transaction(engine) as session:
            session.execute(
                insert(Alert),
                [
                    {
                        "rule_id": d.rule_id,
                        "rule_title": d.rule_title,
                        "severity": d.severity,
                        "group_key": d.group_key,
                        "status": "resolved",
                        "live_key": None,
                        "first_seen": d.observed_at,
                        "last_seen": d.observed_at,
                        "occurrences": 1,
                        "evidence_count": 3,
                        "summary": {},
                        "created_at": d.observed_at,
                    }
                    for d in stream[at : at + BATCH]
                ],
            )
    plain_s = time.perf_counter() - began
    engine.dispose()
    print(
        json.dumps(
            {
                "findings": n,
                "alerts": alerts,
                "occurrences_after_replay": occurrences,
                "findings_per_s": round(n / stored_s),
                "replayed_findings_per_s": round(n / replay_s),
                "baseline_plain_insert_per_s": round(n / plain_s),
                "ratio_vs_plain_insert": round(plain_s / stored_s, 3),
                "engine": engine.dialect.name,
            }
        )
    )


if __name__ == "__main__":
    main()
