"""A system's credentials: listed, issued (the secret shown once), rotated and revoked by
whoever holds ``credentials.manage`` for the system's organisation (its administrator; the
platform operator for every one), through the registry services the API's
``/api/v1/organisations/{org}/systems/{code}/credentials`` routes use, audited the same way
with the person as actor. Only a secret's hash is stored; the page that shows it once is not
cached (``Cache-Control: no-store``, as every answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from lienthong.console.access import Page, PageRefused, Viewer, check_pages, form_checked
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, render
from lienthong.db import transaction
from lienthong.errors import ValidationFailed
from lienthong.http.permissions import Permission as P
from lienthong.registry import systems
from lienthong.registry.models import Credential
from lienthong.registry.schemas import CredentialCreate, CredentialIssued, CredentialRead

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Manager = Annotated[Viewer, Depends(Page(P.credentials_manage))]
Form = Annotated[dict[str, str], Depends(form_checked)]
Code = Annotated[str, Path(max_length=120)]
BASE = "/registry/systems/{org}/{code}/credentials"


def may_manage(viewer: Viewer, organisation: str) -> bool:
    """Whether this person manages the credentials of the organisation's systems."""
    if not viewer.may(P.credentials_manage):
        return False
    managed = viewer.organisations(P.credentials_manage)
    return managed is None or organisation in managed


def _page(
    request: Request,
    viewer: Viewer,
    org: str,
    code: str,
    issued: CredentialIssued | None = None,
) -> HTMLResponse:
    if not may_manage(viewer, org):
        raise PageRefused(P.credentials_manage)
    with request.app.state.sessions() as session:
        system = systems.to_read(systems.get_system(session=session, organisation=org, code=code))
        found = [
            CredentialRead.model_validate(c)
            for c in systems.list_credentials(session=session, organisation=org, system=code)
        ]
    return render(
        request,
        "credentials.html",
        viewer=viewer,
        system=system,
        credentials=found,
        issued=issued,
    )


@router.get(BASE)
def credentials_page(request: Request, viewer: Manager, org: Code, code: Code) -> HTMLResponse:
    """The system's credentials (``GET …/credentials`` of the API)."""
    return _page(request, viewer, org, code)


def _checked(viewer: Viewer, org: str) -> None:
    if not may_manage(viewer, org):
        raise PageRefused(P.credentials_manage)


@router.post(BASE)
def credential_issue(
    request: Request, viewer: Manager, form: Form, org: Code, code: Code
) -> HTMLResponse:
    """A new credential: with a secret, shown on this answer only, or, when the form names a
    certificate (its subject DN or a subject alternative name), one that authenticates with
    that TLS client certificate and has no secret (``tls_client_auth``, as the API's
    ``CredentialCreate``)."""
    _checked(viewer, org)
    name = form.get("tls_client_name", "").strip() or None
    try:
        asked = CredentialCreate(tls_client_name=name)
    except ValidationError as error:
        raise ValidationFailed.of_parser(error.errors()) from None
    with transaction(request.app.state.engine) as session:
        credential, secret = systems.issue_credential(
            session=session,
            settings=request.app.state.settings,
            actor=viewer.person.actor(),
            organisation=org,
            system=code,
            tls_client_name=asked.tls_client_name,
        )
        issued = _issued(credential, secret)
    return _page(request, viewer, org, code, issued=issued)


def _issued(credential: Credential, secret: str | None) -> CredentialIssued:
    return CredentialIssued(
        client_id=credential.client_id,
        created_at=credential.created_at,
        revoked_at=None,
        tls_client_name=credential.tls_client_name,
        client_secret=secret,
    )


@router.post(BASE + "/{client_id}/rotate")
def credential_rotate(
    request: Request, viewer: Manager, form: Form, org: Code, code: Code, client_id: Code
) -> HTMLResponse:
    """A new secret for the credential; the old one stops working at once."""
    _checked(viewer, org)
    with transaction(request.app.state.engine) as session:
        credential, secret = systems.rotate_credential(
            session=session,
            settings=request.app.state.settings,
            actor=viewer.person.actor(),
            organisation=org,
            system=code,
            client_id=client_id,
        )
        issued = _issued(credential, secret)
    return _page(request, viewer, org, code, issued=issued)


@router.post(BASE + "/{client_id}/revoke")
def credential_revoke(
    request: Request, viewer: Manager, form: Form, org: Code, code: Code, client_id: Code
) -> HTMLResponse:
    _checked(viewer, org)
    with transaction(request.app.state.engine) as session:
        systems.revoke_credential(
            session=session,
            settings=request.app.state.settings,
            actor=viewer.person.actor(),
            organisation=org,
            system=code,
            client_id=client_id,
        )
    return _page(request, viewer, org, code)


check_pages(router, ())  # deny by default, checked on import
