"""Subscription routes: a consumer system subscribes under its grant, rewinds, and lists and
re-sends its dead letters; the platform operator sees every subscription."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from lienthong.bounds import Id
from lienthong.changes import service
from lienthong.changes.models import Subscription
from lienthong.changes.schemas import (
    DeadLetterRead,
    Replay,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from lienthong.db import utcnow
from lienthong.errors import Forbidden
from lienthong.http.callers import Caller, permit
from lienthong.http.deps import SessionDep
from lienthong.http.permissions import Permission as P

router = APIRouter(tags=["changes"])
Subscriber = Annotated[Caller, permit(P.changes_subscribe)]


def _own(who: Caller) -> int | None:
    """The system whose subscriptions the caller sees; None: every one (the operator)."""
    return None if who.claims is None else who.claims.system_id


def _subscription(session: SessionDep, who: Caller, subscription_id: int) -> Subscription:
    return service.get_subscription(
        session=session, subscription_id=subscription_id, system_id=_own(who)
    )


@router.post(
    "/subscriptions", response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED
)
def subscribe(
    request: Request, session: SessionDep, who: Subscriber, body: SubscriptionCreate
) -> SubscriptionCreated:
    """Subscribe the calling system to a dataset's changes under its approved grant; a
    webhook's signing secret is in this answer only."""
    if who.claims is None:
        raise Forbidden("only a consumer system subscribes", code="systems-only")
    sub, secret = service.subscribe(
        session=session,
        settings=request.app.state.settings,
        system_id=who.claims.system_id,
        data=body,
        actor=who.actor(),
        today=utcnow().date(),
    )
    return SubscriptionCreated.model_validate(sub).model_copy(update={"secret": secret})


@router.get("/subscriptions", response_model=list[SubscriptionRead])
def list_subscriptions(session: SessionDep, who: Subscriber) -> list[SubscriptionRead]:
    return [
        SubscriptionRead.model_validate(s)
        for s in service.list_subscriptions(session=session, system_id=_own(who))
    ]


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead)
def show_subscription(
    session: SessionDep, who: Subscriber, subscription_id: Id
) -> SubscriptionRead:
    return SubscriptionRead.model_validate(_subscription(session, who, subscription_id))


@router.post("/subscriptions/{subscription_id}/replay", response_model=SubscriptionRead)
def replay(
    request: Request, session: SessionDep, who: Subscriber, subscription_id: Id, body: Replay
) -> SubscriptionRead:
    """Deliver every change again from ``from_position`` on."""
    sub = service.replay(
        session=session,
        settings=request.app.state.settings,
        sub=_subscription(session, who, subscription_id),
        from_position=body.from_position,
        actor=who.actor(),
    )
    return SubscriptionRead.model_validate(sub)


@router.get("/subscriptions/{subscription_id}/dead-letters", response_model=list[DeadLetterRead])
def dead_letters(session: SessionDep, who: Subscriber, subscription_id: Id) -> list[DeadLetterRead]:
    sub = _subscription(session, who, subscription_id)
    return [
        DeadLetterRead.model_validate(d) for d in service.dead_letters(session=session, sub=sub)
    ]


@router.post(
    "/subscriptions/{subscription_id}/dead-letters/{dead_letter_id}/replay",
    response_model=DeadLetterRead,
)
def replay_dead_letter(
    request: Request, session: SessionDep, who: Subscriber, subscription_id: Id, dead_letter_id: Id
) -> DeadLetterRead:
    """Queue a dead letter to be sent again (by the delivery worker, under its message id)."""
    letter = service.replay_dead_letter(
        session=session,
        settings=request.app.state.settings,
        sub=_subscription(session, who, subscription_id),
        dead_letter_id=dead_letter_id,
        actor=who.actor(),
    )
    return DeadLetterRead.model_validate(letter)
