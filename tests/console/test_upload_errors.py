"""The upload form's refusals are the console's pages in Vietnamese, never the API's JSON: a
file of another type, a file over the size limit (413, refused before the body is read) and
a standard that does not exist; nothing is written."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.web.app import create_app
from tests.console.people import session_cookie
from tests.console.test_upload import STEWARD, _as, _batches, clerk_csv
from tests.ingest.factories import SYSTEM, register_system


def _post(web: TestClient, csrf: str, standard: str, name: str, body: bytes) -> object:
    return web.post(
        "/console/upload",
        data={"csrf": csrf, "standard": standard, "system": SYSTEM, "action": "ingest"},
        files={"file": (name, body, "application/octet-stream")},
    )


def _is_page(answer: object, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert code in answer.text and '<html lang="vi">' in answer.text  # type: ignore[attr-defined]


def test_a_file_of_another_type_and_an_unknown_standard_are_pages(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    csrf = _as(web, "clerk", STEWARD)
    wrong = _post(web, csrf, "citizen", "anh.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    _is_page(wrong, 422, "Lỗi")
    unknown = _post(web, csrf, "no-such-standard", "ho-tich.csv", clerk_csv())
    _is_page(unknown, 404, "unknown-standard")
    assert _batches(engine) == 0


def test_a_file_over_the_limit_is_a_413_page(engine: Engine, settings: Settings) -> None:
    register_system(engine, settings)
    small = settings.model_copy(update={"max_upload_bytes": 2048})
    app = create_app(small, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as web:
        web.cookies.update(session_cookie(app, "clerk", STEWARD))
        page = web.get("/console/upload")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        big = _post(web, csrf, "citizen", "ho-tich.csv", clerk_csv() * 40)
        _is_page(big, 413, "payload-too-large")
        assert "content-security-policy" in big.headers  # type: ignore[attr-defined]
        api = web.post("/api/v1/ingest/citizen?system=H33.02/hoso", content=b"x" * 4096)
        assert api.status_code == 413 and api.json()["error"]["code"] == "payload-too-large"
    assert _batches(engine) == 0
