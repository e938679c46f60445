"""The OpenAPI document describes the real error body for every error status it lists."""

from __future__ import annotations

from fastapi.testclient import TestClient

ERROR_REF = "#/components/schemas/Error"
# The token endpoint's refusals are RFC 6749 §5.2 bodies (docs/errors.md).
OAUTH_REF = "#/components/schemas/OAuthError"
OAUTH_REFUSALS = {("/oauth/token", "400"), ("/oauth/token", "401")}


def test_every_error_response_is_the_error_shape(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Error"]["properties"]) == {"error"}
    body = schemas[schemas["Error"]["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"code", "message", "details"}
    errors = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    errors += 1
                    schema = response["content"]["application/json"]["schema"]
                    expected = OAUTH_REF if (path, status) in OAUTH_REFUSALS else ERROR_REF
                    assert schema == {"$ref": expected}, (method, path, status)
            statuses = set(operation["responses"])
            if path != "/healthz":
                assert {"429", "503"} <= statuses, (method, path)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
    assert errors > 100


def test_operations_that_need_a_caller_document_401_and_403(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/organisations", "post"),
        ("/api/v1/grants", "get"),
        ("/api/v1/data/{dataset}/{key}", "get"),
        ("/oauth/token", "post"),
    ]:
        assert {"401", "403"} <= set(paths[path][method]["responses"]), (method, path)
    assert "401" not in paths["/api/v1/units"]["get"]["responses"]


def test_bounded_identifiers_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    (grant_id,) = paths["/api/v1/grants/{grant_id}"]["get"]["parameters"]
    assert grant_id["schema"]["minimum"] == 1
    assert grant_id["schema"]["maximum"] == 2**31 - 1
