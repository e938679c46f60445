"""Provider service routes: register, list, show; ask for a grant; call through the proxy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response

from lienthong.errors import Forbidden, ValidationFailed
from lienthong.exchange.grants import needed, to_read
from lienthong.exchange.schemas import GrantRead
from lienthong.http.callers import Caller, SystemToken, permit
from lienthong.http.certificates import presented_thumbprint
from lienthong.http.deps import SessionDep, client_host
from lienthong.http.permissions import Permission as P
from lienthong.providers import service
from lienthong.providers.proxy import ProviderRuntime, call
from lienthong.providers.schemas import (
    SERVICE_PATTERN,
    ServiceGrantRequest,
    ServiceRead,
    ServiceRegister,
)
from lienthong.registry.models import InformationSystem
from lienthong.registry.systems import get_system

router = APIRouter(tags=["providers"])
ServiceName = Annotated[str, Path(pattern=SERVICE_PATTERN, description="Service name")]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.post("/providers", response_model=ServiceRead, status_code=status.HTTP_201_CREATED)
def register(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.providers_manage)],
    body: ServiceRegister,
) -> ServiceRead:
    """Register a service of a provider system from its OpenAPI 3.x document (JSON or YAML
    text), or register it again: a data steward of the provider's organisation, or the
    platform operator."""
    if not who.holds(P.providers_manage, body.organisation):
        raise Forbidden(
            f"you do not manage the services of {body.organisation}", code="not-permitted"
        )
    found = service.register_service(
        session=session, settings=request.app.state.settings, data=body, actor=who.actor()
    )
    return service.to_read(session, found)


@router.get("/providers", response_model=list[ServiceRead], dependencies=[permit(P.registry_read)])
def list_services(session: SessionDep) -> list[ServiceRead]:
    return [service.to_read(session, s) for s in service.list_services(session=session)]


@router.get("/providers/{name}", response_model=ServiceRead, dependencies=[permit(P.registry_read)])
def show(session: SessionDep, name: ServiceName) -> ServiceRead:
    return service.to_read(session, service.get_service(session=session, name=name))


@router.post(
    "/providers/{name}/grants", response_model=GrantRead, status_code=status.HTTP_201_CREATED
)
def request_grant(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_request)],
    name: ServiceName,
    body: ServiceGrantRequest,
) -> GrantRead:
    """Ask to call operations of the service: a system for itself, a person (the operator, an
    administrator of the consumer's organisation) naming the consumer system. A data steward
    of the provider's organisation decides (``POST /api/v1/grants/{id}/approve``)."""
    if who.claims is not None:
        consumer = session.get(InformationSystem, who.claims.system_id)
        assert consumer is not None
    else:
        if not body.consumer_organisation or not body.consumer_system:
            raise ValidationFailed.on(
                "consumer_system", "consumer-required", "a person must name the consumer system"
            )
        if not who.holds(P.grants_request, body.consumer_organisation):
            raise Forbidden(
                f"you do not administer {body.consumer_organisation}", code="not-permitted"
            )
        consumer = get_system(
            session=session, organisation=body.consumer_organisation, code=body.consumer_system
        )
    grant = service.request_service_grant(
        session=session,
        settings=request.app.state.settings,
        service=name,
        consumer=consumer,
        data=body,
        actor=who.actor(),
        person=who.person.id if who.person else None,
    )
    return to_read(grant, consumer, needed(session, grant))


async def call_operation(request: Request, name: str, path: str) -> Response:
    """Forwarded to the provider when an approved grant on ``service:<name>`` for the
    declared purpose (``X-Purpose``) lists the operation; the answer is the provider's."""
    prt: ProviderRuntime = request.app.state.providers.proxy
    rt = prt.rt
    answer = await call(
        prt,
        service=name,
        method=request.method,
        path=path,
        query=request.url.query,
        body=await request.body(),
        headers=request.headers,
        source=client_host(request),
        certificate=presented_thumbprint(request.scope, rt.settings),
    )
    return answer.response()  # the provider's Content-Type when it sent one


# One route per method (each its own operation id, in a stable order in the OpenAPI document).
for _method in METHODS:
    router.add_api_route(
        "/providers/{name}/call/{path:path}",
        call_operation,
        methods=[_method],
        dependencies=[SystemToken],
        operation_id=f"call_provider_operation_{_method.lower()}",
        summary="Call an operation of a provider service",
    )
