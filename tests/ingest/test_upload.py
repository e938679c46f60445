"""Uploads: the file hashed while it streams to disk; the mapping as a part of the request."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.ingest import service
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.ingest.factories import CITIZEN_HEADER, citizen_row, register_system, write_citizens

URL = "/api/v1/ingest/citizen"
ROUTE = "/api/v1/ingest/{standard}"
MAPPING = {"columns": {**{c: c for c in CITIZEN_HEADER[1:]}, "Số CCCD": "personal_id"}}


@pytest.fixture
def renamed(engine: Engine, settings: Settings, tmp_path: Path) -> Path:
    """A citizen file whose ID column only the mapping names, and its system registered."""
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", [citizen_row(i) for i in range(1, 6)])
    text = path.read_text(encoding="utf-8").replace("personal_id", "Số CCCD", 1)
    path.write_text(text, encoding="utf-8")
    return path


def _no_second_read(path: Path, mapping: object = None) -> str:
    raise AssertionError("the upload was read again to hash it")


def test_the_mapping_is_a_part_and_the_checksum_is_made_while_streaming(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    renamed: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = renamed
    document = json.dumps(MAPPING, ensure_ascii=False).encode()
    monkeypatch.setattr(service, "checksum", _no_second_read)
    response = client.post(
        URL,
        params={"system": "H33.02/hoso"},
        files={
            "file": ("dan_cu.csv", path.read_bytes(), "text/csv"),
            "mapping": (None, document, "application/json"),
        },
        headers=operator,
    )
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["rows_loaded"], batch["source_name"]) == (5, "dan_cu.csv")
    expected = hashlib.sha256(path.read_bytes() + document).hexdigest()
    assert batch["checksum"] == f"sha256:{expected}"
    # The same file and mapping from the command line is the same input.
    mapping_file = path.with_name("mapping.json")
    mapping_file.write_bytes(document)
    monkeypatch.undo()
    again = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(
            path=path, standard="citizen", system="H33.02/hoso", mapping=mapping_file
        ),
    )
    assert again.checksum == batch["checksum"] and again.unchanged == 5


def test_the_mapping_query_parameter_still_works_for_now(
    client: TestClient, operator: dict[str, str], renamed: Path
) -> None:
    path = renamed
    document = json.dumps(MAPPING, ensure_ascii=False)
    checked = client.post(
        f"{URL}/check",
        params={"filename": path.name, "mapping": document},
        content=path.read_bytes(),
        headers=operator,
    )
    assert checked.status_code == 200, checked.text
    assert (checked.json()["rows_valid"], checked.json()["rows_invalid"]) == (5, 0)
    loaded = client.post(
        URL,
        params={"system": "H33.02/hoso", "filename": path.name, "mapping": document},
        content=path.read_bytes(),
        headers=operator,
    )
    assert loaded.status_code == 201, loaded.text
    expected = hashlib.sha256(path.read_bytes() + document.encode()).hexdigest()
    assert loaded.json()["checksum"] == f"sha256:{expected}"
    parameter = next(
        p
        for p in client.get("/openapi.json").json()["paths"][ROUTE]["post"]["parameters"]
        if p["name"] == "mapping"
    )
    assert parameter["deprecated"] is True


def test_a_multipart_upload_must_be_a_file_and_a_mapping(
    client: TestClient, operator: dict[str, str], renamed: Path
) -> None:
    path = renamed
    document = json.dumps(MAPPING).encode()

    def post(params: dict[str, str] | None = None, **parts: tuple[str | None, bytes]) -> object:
        response = client.post(f"{URL}/check", params=params or {}, files=parts, headers=operator)
        body = response.json()["error"]
        return response.status_code, body["code"], [d["code"] for d in body["details"]]

    mapping = (None, document)
    assert post(mapping=mapping) == (422, "validation-failed", ["missing-file"])
    assert post(file=("a.csv", path.read_bytes()), note=(None, b"x")) == (
        422, "validation-failed", ["unknown-part"]
    )  # fmt: skip
    assert post(file=("a.csv", path.read_bytes()), mapping=(None, b"{nope")) == (
        422, "invalid-mapping", ["invalid-mapping"]
    )  # fmt: skip
    twice = post({"mapping": document.decode()}, file=("a.csv", path.read_bytes()), mapping=mapping)
    assert twice == (422, "invalid-mapping", ["invalid-mapping"])
    cut = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        + path.read_bytes()
    )
    response = client.post(
        f"{URL}/check",
        content=cut,
        headers={**operator, "content-type": "multipart/form-data; boundary=b"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "upload-interrupted")
