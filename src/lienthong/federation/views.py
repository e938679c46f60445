"""Peer routes (the platform operator): register, list, show, refresh the keys of, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from lienthong.federation import service
from lienthong.federation.schemas import PeerCreate, PeerRead
from lienthong.http.callers import Caller, permit
from lienthong.http.deps import SessionDep
from lienthong.http.permissions import Permission as P

router = APIRouter(tags=["federation"])
Operator = Annotated[Caller, permit(P.federation_manage)]
Name = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


@router.post("/federation/peers", response_model=PeerRead, status_code=status.HTTP_201_CREATED)
def add_peer(request: Request, session: SessionDep, who: Operator, body: PeerCreate) -> PeerRead:
    """Register a peer instance; its JWKS is fetched now (502 ``peer-unreachable`` if not)."""
    settings = request.app.state.settings
    peer = service.add_peer(
        session=session,
        settings=settings,
        actor=who.actor(),
        data=body,
        fetch=service.fetcher(settings),
    )
    return service.to_read(session, peer)


@router.get("/federation/peers", response_model=list[PeerRead])
def list_peers(session: SessionDep, _who: Operator) -> list[PeerRead]:
    return [service.to_read(session, p) for p in service.list_peers(session=session)]


@router.get("/federation/peers/{name}", response_model=PeerRead)
def show_peer(session: SessionDep, _who: Operator, name: Name) -> PeerRead:
    return service.to_read(session, service.get_peer(session=session, name=name))


@router.post("/federation/peers/{name}/refresh", response_model=PeerRead)
def refresh_peer(request: Request, session: SessionDep, who: Operator, name: Name) -> PeerRead:
    """Fetch the peer's JWKS again now."""
    settings = request.app.state.settings
    peer = service.refresh_peer(
        session=session,
        settings=settings,
        actor=who.actor(),
        name=name,
        fetch=service.fetcher(settings),
    )
    return service.to_read(session, peer)


@router.delete(
    "/federation/peers/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def remove_peer(request: Request, session: SessionDep, who: Operator, name: Name) -> Response:
    """Forget the peer: its tokens are refused (401) from the next request on."""
    service.remove_peer(
        session=session, settings=request.app.state.settings, actor=who.actor(), name=name
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
