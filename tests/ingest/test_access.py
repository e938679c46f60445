"""Batches and their quarantine hold people's data: the operator sees every batch, a system
only the batches it submitted, and nobody without a token sees any."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import get_token, issue_credential, make_consumer
from tests.ingest.factories import citizen_row, register_system, write_citizens


def test_batches_and_quarantine_only_for_the_operator_and_the_submitter(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    system = register_system(engine, settings)  # H33.02/hoso submits the batch
    rows = [citizen_row(1), citizen_row(2, date_of_birth="31/02/1990")]
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(
            path=write_citizens(tmp_path / "c.csv", rows), standard="citizen", system=system
        ),
    )
    assert batch.rows_quarantined == 1
    submitter = get_token(client, issue_credential(client, operator, "H33.02", "hoso"))
    stranger = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    urls = [
        "/api/v1/ingest/batches",
        f"/api/v1/ingest/batches/{batch.id}",
        f"/api/v1/ingest/batches/{batch.id}/quarantine",
    ]
    for url in urls:
        assert_error_shape(client.get(url), 401, "missing-token")
        for allowed in (operator, submitter):
            response = client.get(url, headers=allowed)
            assert response.status_code == 200, (url, response.text)
    listed = client.get(urls[0], headers=submitter).json()["items"]
    assert [b["id"] for b in listed] == [batch.id]
    quarantined = client.get(urls[2], headers=submitter).json()["items"]
    assert [q["row"] for q in quarantined] == [2]
    assert client.get(urls[0], headers=stranger).json()["items"] == []
    for url in urls[1:]:
        response = client.get(url, headers=stranger)
        assert_error_shape(response, 404, "unknown-batch")
        assert "Nguyễn" not in response.text
