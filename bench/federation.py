"""Federation benchmark: reads at the hub with a province's token against reads with the
hub's own consumer token, two real instances on 127.0.0.1 (SQLite each).

``peer_reads_per_s``: sequential single-record reads (one keep-alive connection) by the
province's stand-in system with a token the province issued, once verified and cached.
Baseline, same run, same hub: ``local_reads_per_s``, a consumer system of the hub with a token
of the hub. ``ratio`` = peer / local (1.0: a peer costs nothing once its token is verified).
``peer_first_use_ms`` / ``local_first_use_ms``: median latency of the first read with a new
token (signature checked; for a peer, its row and cached JWKS read from the database too).

    .venv/bin/python bench/federation.py           # 2,000 reads each, 50 new tokens each
    .venv/bin/python bench/federation.py --quick   # 300 reads, 10 tokens

The last line of output is one JSON object.
"""

from __future__ import annotations

import lienthong  # noqa: F401  # isort: skip

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.federation.instances import Instance
from tests.federation.pair import (
    PROVINCE_SYSTEM,
    citizens_at,
    grant_province,
    province_token,
    register_peers,
)

HEADERS = {"X-Purpose": "public-service"}


def _client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers=HEADERS | {"Authorization": f"Bearer {token}"})


def _timed(client: httpx.Client, path: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        assert client.get(path).status_code == 200
    return time.perf_counter() - started


def _reads(base: str, peer: str, local: str, key: str, count: int) -> tuple[float, float]:
    """Reads/s with each token, in alternating rounds (a shared machine's load drifts)."""
    path = f"/api/v1/data/citizen/{key}"
    spent = [0.0, 0.0]
    with _client(base, peer) as p, _client(base, local) as q:
        _timed(p, path, 1), _timed(q, path, 1)  # verified, cached
        for _ in range(10):
            spent[0] += _timed(p, path, count // 10)
            spent[1] += _timed(q, path, count // 10)
    return count / spent[0], count / spent[1]


def _first_use_ms(base: str, peer: list[str], local: list[str], key: str) -> tuple[float, float]:
    """Median latency of the first read with each new token, peer and local alternating."""
    took: tuple[list[float], list[float]] = ([], [])
    with httpx.Client(base_url=base, headers=HEADERS) as c:
        for pair in zip(peer, local, strict=True):
            for i, token in enumerate(pair):
                started = time.perf_counter()
                answer = c.get(
                    f"/api/v1/data/citizen/{key}", headers={"Authorization": f"Bearer {token}"}
                )
                took[i].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
    return statistics.median(took[0]), statistics.median(took[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reads, fresh = (300, 10) if args.quick else (2000, 50)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        hub = Instance.create(
            "hub",
            root,
            f"sqlite+pysqlite:///{root / 'hub.db'}",
            rate_limit_per_second=1e6,  # the rate limit is not what is measured
            rate_limit_burst=1_000_000,
        )
        province = Instance.create(
            "province",
            root,
            f"sqlite+pysqlite:///{root / 'province.db'}",
            federation_system=PROVINCE_SYSTEM,
        )
        hub.start()
        province.start()
        try:
            key = citizens_at(hub, root)
            register_peers(hub, province)
            grant_province(hub)
            with hub.http() as h:
                local = make_consumer(h, hub.operator, "H33.03")  # type: ignore[arg-type]
                headers = get_token(h, local)  # type: ignore[arg-type]
                grant = request_grant(h, headers)  # type: ignore[arg-type]
                approve(h, hub.operator, grant["id"], owner="H33.02")  # type: ignore[arg-type]
                local_tokens = [
                    get_token(h, local)["Authorization"].split()[1]  # type: ignore[arg-type]
                    for _ in range(fresh)
                ]
            peer_tokens = [province_token(province).value for _ in range(fresh)]
            peer_rate, local_rate = _reads(hub.base, peer_tokens[0], local_tokens[0], key, reads)
            peer_ms, local_ms = _first_use_ms(hub.base, peer_tokens[1:], local_tokens[1:], key)
            result = {
                "reads": reads,
                "peer_reads_per_s": round(peer_rate, 1),
                "local_reads_per_s": round(local_rate, 1),
                "peer_first_use_ms": round(peer_ms, 2),
                "local_first_use_ms": round(local_ms, 2),
            }
            result["ratio"] = round(result["peer_reads_per_s"] / result["local_reads_per_s"], 3)
        finally:
            province.stop()
            hub.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
