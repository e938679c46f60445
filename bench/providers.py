"""The proxy's overhead: a provider's operation called directly, and through Lienthong.

    python bench/providers.py [--quick] [--requests N] [--concurrency C]

Starts a small provider (uvicorn, one worker, an ASGI app answering ``GET /parcels/{id}`` with
a few hundred bytes of JSON) and `lienthong serve` (one worker, a temp SQLite database) with the
provider registered, a consumer system holding an approved grant on the operation. The same
httpx async client (keep-alive, C concurrent tasks) sends N requests directly to the provider,
then N through ``/api/v1/providers/parcels/call/parcels/{id}`` (token check, grant, forwarding,
the audit entry committed before the answer), alternating rounds, and once more with one task.
The last line is JSON: ``proxy_overhead_ms_p50`` (proxy p50 − direct p50, at concurrency C),
``direct_p50_ms``, ``proxy_p50_ms`` and ``proxy_vs_direct`` (their ratio), with the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.exchange import grants
from lienthong.people.service import person_for_sign_in
from lienthong.prepare import prepare_database
from lienthong.providers.schemas import ServiceGrantRequest, ServiceRegister
from lienthong.providers.service import register_service, request_service_grant
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate
from loadgen import free_port, start_server, wait_ready

TOKEN = "bench-operator-token-0123456789abcdef"  # noqa: S105 - a throwaway bench server
DOCUMENT = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Parcels", "version": "1"},
        "paths": {"/parcels/{parcel_id}": {"get": {"operationId": "getParcel"}}},
    }
)
PARCEL = {"parcel_id": "", "commune": "12166", "area_m2": 120.5, "owner": "Nguyễn Văn A"}


async def provider_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The provider: ``GET /parcels/{id}`` answers the parcel (ASGI, no framework)."""
    if scope["type"] != "http":
        return
    body = json.dumps(PARCEL | {"parcel_id": scope["path"].rsplit("/", 1)[-1]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def start_provider(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(Path(__file__).resolve().parent),
            "providers:provider_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def build(settings: Settings, provider_url: str) -> tuple[str, str]:
    """The provider and consumer organisations and systems, the service registered and an
    approved grant on its operation; the consumer's client id and secret."""
    engine = make_engine(settings)
    prepare_database(engine)
    who = {"settings": settings, "actor": {"kind": "operator"}}
    with transaction(engine) as s:
        for code in ("H33.01", "H33.05"):
            organisations.create_organisation(
                session=s,
                **who,
                data=OrganisationCreate(
                    code=code, name=f"Sở {code}", level="province", unit_code="33"
                ),
            )
        systems.create_system(
            session=s, **who, organisation="H33.01", data=SystemCreate(code="land", name="Đất đai")
        )
        consumer = systems.create_system(
            session=s, **who, organisation="H33.05", data=SystemCreate(code="portal", name="Cổng")
        )
        credential, secret = systems.issue_credential(
            session=s, **who, organisation="H33.05", system="portal"
        )
        register_service(
            session=s,
            settings=settings,
            actor={"kind": "operator"},
            data=ServiceRegister(
                organisation="H33.01",
                system="land",
                name="parcels",
                base_url=provider_url,
                document=DOCUMENT,
            ),
        )
        grant = request_service_grant(
            session=s,
            settings=settings,
            service="parcels",
            consumer=consumer,
            actor={"kind": "operator"},
            data=ServiceGrantRequest(
                operations=["getParcel"],
                purposes=["land-administration"],
                expires_on=date.today() + timedelta(days=30),
            ),
        )
        steward = person_for_sign_in(
            s, issuer="bench", subject="steward", name="Steward", personal_id=None
        )
        grants.decide(
            session=s,
            settings=settings,
            grant_id=grant.id,
            approve=True,
            decider=grants.Decider(
                steward.id, steward.name, frozenset({"H33.01"}), {"kind": "person"}
            ),
        )
        client_id = credential.client_id
    engine.dispose()
    return client_id, secret


async def measure(
    base: str,
    headers: dict[str, str],
    count: int,
    concurrency: int,
    path: str = "/parcels/33-",
    method: str = "GET",
) -> tuple[list[float], float]:
    """Latencies (ms) of ``count`` GETs on ``concurrency`` tasks sharing one client, and the
    seconds the whole took."""
    latencies: list[float] = []
    errors = 0
    numbers = iter(range(count))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def task() -> None:
            nonlocal errors
            for n in numbers:
                started = time.perf_counter()
                target = f"{path}{n:06d}" if path.endswith("-") else path
                answer = await client.request(method, target)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += answer.status_code >= 300

        started = time.perf_counter()
        await asyncio.gather(*(task() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{errors} of {count} calls to {base} failed")
    return latencies, seconds


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def compare(
    direct: str, proxied: str, headers: dict[str, str], count: int, concurrency: int, rounds: int
) -> dict[str, float]:
    """Direct and proxied rounds in turn (so that a busy moment of the machine hits both)."""
    both: dict[str, list[float]] = {"direct": [], "proxy": []}
    seconds = {"direct": 0.0, "proxy": 0.0}
    for _ in range(rounds):
        for name, base, sent in (("direct", direct, {}), ("proxy", proxied, headers)):
            latencies, took = asyncio.run(measure(base, sent, count // rounds, concurrency))
            both[name] += latencies
            seconds[name] += took
    d50, x50 = statistics.median(both["direct"]), statistics.median(both["proxy"])
    return {
        "direct_p50_ms": round(d50, 3),
        "proxy_p50_ms": round(x50, 3),
        "proxy_overhead_ms_p50": round(x50 - d50, 3),
        "proxy_vs_direct": round(x50 / d50, 2),
        "direct_p99_ms": round(p(both["direct"], 99), 3),
        "proxy_p99_ms": round(p(both["proxy"], 99), 3),
        "direct_per_s": round(len(both["direct"]) / seconds["direct"], 1),
        "proxy_per_s": round(len(both["proxy"]) / seconds["proxy"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 requests (default 20,000)")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    count = args.requests or (1_000 if args.quick else 20_000)
    rounds = 4
    provider_port, port = free_port(), free_port()
    provider = start_provider(provider_port)
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            provider_url = f"http://127.0.0.1:{provider_port}"
            settings = Settings(environment="development", data_dir=Path(tmp))
            client_id, secret = build(settings, provider_url)
            env = os.environ | {
                "LIENTHONG_ENVIRONMENT": "development",
                "LIENTHONG_DATA_DIR": tmp,
                "LIENTHONG_OPERATOR_TOKEN": TOKEN,
                "LIENTHONG_LOG_LEVEL": "warning",
                "LIENTHONG_RATE_LIMIT_PER_SECOND": "1000000",
                "LIENTHONG_RATE_LIMIT_BURST": "1000000",
            }
            env.pop("LIENTHONG_DATABASE_URL", None)
            server = start_server(env, port)
            wait_ready("127.0.0.1", provider_port)
            wait_ready("127.0.0.1", port)
            base = f"http://127.0.0.1:{port}"
            token = httpx.post(
                f"{base}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
                timeout=30,
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "X-Purpose": "land-administration"}
            proxied = f"{base}/api/v1/providers/parcels/call"
            compare(provider_url, proxied, headers, 100, args.concurrency, 1)  # warm both
            loaded = compare(provider_url, proxied, headers, count, args.concurrency, rounds)
            print("concurrency", args.concurrency, loaded, flush=True)
            single = compare(
                provider_url, proxied, headers, 200 if args.quick else 2_000, 1, rounds
            )
            print("concurrency 1", single, flush=True)
            # The server's own floor on this machine now: its health route, one at a time.
            floor, _ = asyncio.run(measure(base, {}, 200, 1, "/healthz"))
            # An audited request that waits for its entry's commit, and forwards nothing.
            beat = "/api/v1/systems/me/heartbeat"
            audited, _ = asyncio.run(measure(base, headers, 200, 1, beat, "POST"))
    finally:
        for process in (server, provider):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    result = {
        "requests": count,
        "concurrency": args.concurrency,
        **loaded,
        "baseline": "the same operation called directly on the provider, same client",
        "proxy_overhead_ms_p50_sequential": single["proxy_overhead_ms_p50"],
        "direct_p50_ms_sequential": single["direct_p50_ms"],
        "proxy_p50_ms_sequential": single["proxy_p50_ms"],
        "server_healthz_p50_ms_sequential": round(statistics.median(floor), 3),
        "audited_heartbeat_p50_ms_sequential": round(statistics.median(audited), 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
