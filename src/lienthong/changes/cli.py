"""``lienthong changes deliver|subscriptions|dead-letters``: the delivery worker and what an
operator looks at when a consumer says it misses changes."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from lienthong.changes import service
from lienthong.changes.delivery import BATCH
from lienthong.changes.schemas import DeadLetterRead, SubscriptionRead
from lienthong.changes.worker import run
from lienthong.config import get_settings
from lienthong.terminal import cli_engine, cli_session, print_json, print_table

changes_app = typer.Typer(help="Change events to subscribed consumers.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


@changes_app.command("deliver")
def deliver(
    once: Annotated[bool, typer.Option("--once", help="Stop when nothing is due")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between idle passes")] = 0.5,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Most events per message")] = BATCH,
) -> None:
    """Deliver the outbox to the subscriptions until stopped (SIGTERM or Ctrl-C)."""
    stop = threading.Event()

    def finish(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    with cli_engine() as engine:
        done = run(engine, get_settings(), stop=stop, interval=interval, once=once, limit=batch)
    typer.echo(
        f"delivered {done.events} events in {done.batches} batches; "
        f"{done.failed} failed attempts, {done.dead} dead-lettered"
    )


@changes_app.command("subscriptions")
def subscriptions(json: Json = False) -> None:
    """Every subscription, with its position and its last failure."""
    with cli_session() as session:
        rows = [
            SubscriptionRead.model_validate(s)
            for s in service.list_subscriptions(session=session, system_id=None)
        ]
    if json:
        print_json(rows)
        return
    print_table(
        "Subscriptions",
        ["id", "dataset", "kind", "position", "status", "attempts", "last error"],
        [(s.id, s.dataset, s.kind, s.position, s.status, s.attempts, s.last_error) for s in rows],
    )


@changes_app.command("dead-letters")
def dead_letters(subscription: int, json: Json = False) -> None:
    """A subscription's dead letters (replay one through the API)."""
    with cli_session() as session:
        sub = service.get_subscription(
            session=session, subscription_id=subscription, system_id=None
        )
        rows = [
            DeadLetterRead.model_validate(d) for d in service.dead_letters(session=session, sub=sub)
        ]
    if json:
        print_json(rows)
        return
    print_table(
        "Dead letters",
        ["id", "positions", "events", "status", "error"],
        [
            (d.id, f"{d.first_position}-{d.last_position}", d.events, d.status, d.error)
            for d in rows
        ],
    )
