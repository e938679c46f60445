"""``lienthong providers register|list|show`` as a user runs them, on the test's database."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.cli import run_cli
from tests.providers.factories import PROVIDER_ORG, PROVIDER_SYSTEM, entries, provider_org
from tests.providers.provider import DOCUMENT


def test_register_list_and_show_from_the_command_line(
    client: TestClient,
    operator: dict[str, str],
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
) -> None:
    provider_org(client, operator)
    document = tmp_path / "land.yaml"
    document.write_text(DOCUMENT, "utf-8")
    made = run_cli(
        settings,
        "providers",
        "register",
        PROVIDER_ORG,
        PROVIDER_SYSTEM,
        "land",
        "--base-url",
        "http://127.0.0.1:9/api",
        "--openapi",
        str(document),
        "--timeout",
        "2.5",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    [service] = json.loads(made.stdout)
    assert (service["name"], service["timeout_seconds"], service["revision"]) == ("land", 2.5, 1)
    listed = run_cli(settings, "providers", "list", "--json")
    assert [s["base_url"] for s in json.loads(listed.stdout)] == ["http://127.0.0.1:9/api"]
    shown = run_cli(settings, "providers", "show", "land")
    assert shown.returncode == 0 and "getParcel" in shown.stdout
    [audited] = entries(engine, "provider.register")
    assert audited["actor"]["via"] == "cli"
    bad = tmp_path / "swagger.json"
    bad.write_text('{"swagger": "2.0"}', "utf-8")
    refused = run_cli(
        settings,
        "providers",
        "register",
        PROVIDER_ORG,
        PROVIDER_SYSTEM,
        "land",
        "--base-url",
        "http://127.0.0.1:9",
        "--openapi",
        str(bad),
    )
    assert refused.returncode != 0
    assert "openapi-not-3" in refused.stderr + refused.stdout
    missing = run_cli(settings, "providers", "show", "cadastre")
    assert missing.returncode != 0 and "unknown-service" in missing.stderr + missing.stdout
