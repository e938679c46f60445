"""People factories: persons with roles and personal access tokens, made with the people
services on the application's own database (as the sign-in and the console make them)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lienthong.audit.service import cli_actor
from lienthong.http.permissions import Role
from lienthong.people import service, tokens

ISSUER = "https://idp.test.example"


def make_person(
    client: TestClient,
    subject: str,
    roles: list[tuple[Role, str | None]] = (),  # type: ignore[assignment]
    *,
    name: str | None = None,
    personal_id: str | None = None,
) -> int:
    """The person with this subject at the test issuer, holding (at least) these roles."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with client.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        person = service.person_for_sign_in(
            session,
            issuer=ISSUER,
            subject=subject,
            name=name or f"Nguyễn Văn {subject}",
            personal_id=personal_id,
        )
        held = service.roles_of(session=session, person_id=person.id)
        for role, org in roles:
            if (role, org) not in held:
                service.assign_role(
                    session=session,
                    settings=settings,
                    person_id=person.id,
                    role=role,
                    organisation=org,
                    actor=cli_actor(),
                )
        return person.id


def pat(
    client: TestClient,
    person_id: int,
    *,
    scopes: list[str] | None = None,
    days: int = 30,
) -> dict[str, str]:
    """Headers with a new personal access token of this person."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with client.app.state.sessions() as session, session.begin():  # type: ignore[attr-defined]
        roles = frozenset(service.roles_of(session=session, person_id=person_id))
        _, secret = tokens.create_token(
            session=session,
            settings=settings,
            person_id=person_id,
            roles=roles,
            name="test",
            scopes=scopes,
            days=days,
            actor=cli_actor(),
        )
    return {"Authorization": f"Bearer {secret}"}


def person_headers(
    client: TestClient, subject: str, role: Role, org: str | None = None, **kw: Any
) -> dict[str, str]:
    return pat(client, make_person(client, subject, [(role, org)], **kw))


def steward(client: TestClient, org: str, n: int = 1) -> dict[str, str]:
    """Headers of data steward number ``n`` of ``org``."""
    return person_headers(client, f"steward-{n}-{org}", Role.data_steward, org)


def set_owner(
    client: TestClient,
    operator: dict[str, str],
    dataset: str,
    org: str,
    four_eyes: bool | None = None,
) -> dict[str, Any]:
    response = client.put(
        f"/api/v1/datasets/{dataset}/owner",
        json={"organisation": org, "four_eyes": four_eyes},
        headers=operator,
    )
    assert response.status_code == 200, response.text
    return response.json()
