"""``lienthong linkage``: review queue, master records and accuracy figures."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from lienthong.config import get_settings
from lienthong.errors import NotFound
from lienthong.linkage import calibration, review, runs
from lienthong.linkage.evaluate import febrl4
from lienthong.linkage.ids import master_id_key
from lienthong.linkage.models import Link, Master
from lienthong.linkage.schemas import ModelRead
from lienthong.linkage.scoring import backend_for
from lienthong.linkage.spec import KINDS
from lienthong.linkage.truth import evaluate_store
from lienthong.terminal import cli_page, cli_session, print_json, print_table

linkage_app = typer.Typer(help="Master persons and businesses.", no_args_is_help=True)
review_app = typer.Typer(help="Pairs waiting for a decision.", no_args_is_help=True)
masters_app = typer.Typer(help="Master records.", no_args_is_help=True)
linkage_app.add_typer(review_app, name="review")
linkage_app.add_typer(masters_app, name="masters")
models_app = typer.Typer(help="Trained models of the comparisons.", no_args_is_help=True)
linkage_app.add_typer(models_app, name="models")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
KindOpt = Annotated[
    list[str] | None, typer.Option("--kind", help="person or business (repeatable; default both)")
]


def _run(kinds: list[str] | None, full: bool, as_json: bool) -> None:
    with cli_session() as session:
        settings = get_settings()
        found = runs.run(
            session=session,
            id_key=master_id_key(settings),
            kinds=kinds or KINDS,
            full=full,
            backend=backend_for(settings),
        )
        summaries = [asdict(s) for s in found]
    if as_json:
        print_json({"runs": summaries})
        return
    print_table(
        "Linkage runs",
        ["kind", "mode", "records", "new", "comparisons", "pairs", "masters", "review", "model"],
        [
            [s["kind"], s["mode"], s["records"], s["new_records"], s["comparisons"], s["pairs"],
             s["masters"], s["review_pending"], s["model"] or "declared"]
            for s in summaries
        ],
    )  # fmt: skip


@linkage_app.command("run")
def run_command(kind: KindOpt = None, as_json: JsonOpt = False) -> None:
    """Link new and changed store records into master records (incremental)."""
    _run(kind, False, as_json)


@linkage_app.command("relink")
def relink_command(kind: KindOpt = None, as_json: JsonOpt = False) -> None:
    """Rescore and relink every store record; master ids and review decisions are kept."""
    _run(kind, True, as_json)


@linkage_app.command("train")
def train_command(
    kind: Annotated[str, typer.Option("--kind", help="person or business")] = "person",
    activate: Annotated[
        bool | None,
        typer.Option(
            "--activate/--no-activate",
            help="Runs use the new model from the next one on (default: see docs/linkage.md)",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Estimate m and u and name-part frequencies from the store's records; store a model."""
    with cli_session() as session:
        done = runs.train(session=session, kind=kind, activate=activate, settings=get_settings())
        out = ModelRead.of(done.model).model_dump(mode="json")
    if as_json:
        print_json(out)
        return
    typer.echo(
        f"{kind} model {out['id']} ({'active' if out['active'] else 'inactive'}): "
        f"{out['records']} records, {len(out['summary']['levels_trained'])} levels trained, "
        f"largest weight shift {out['summary']['largest_weight_shift']}"
    )


@models_app.command("list")
def models_list(
    kind: Annotated[str | None, typer.Option(help="person or business")] = None,
    limit: int = 100,
    cursor: str | None = None,
    as_json: JsonOpt = False,
) -> None:
    """Trained model versions, oldest first (which one runs use: the newest active one)."""
    with cli_session() as session:
        items, next_cursor = calibration.list_models(
            session=session, kind=kind, page=cli_page(limit, cursor)
        )
        rows = [ModelRead.of(i).model_dump(mode="json") for i in items]
    if as_json:
        print_json({"items": rows, "next_cursor": next_cursor})
        return
    print_table(
        "Linkage models",
        ["id", "kind", "active", "in use", "records", "levels trained", "trained at", "by"],
        [
            [r["id"], r["kind"], r["active"], r["in_use"], r["records"],
             len(r["summary"].get("levels_trained", [])), r["trained_at"], r["trained_by"]]
            for r in rows
        ],
    )  # fmt: skip


def _set_active(model_id: int, active: bool, as_json: bool) -> None:
    with cli_session() as session:
        model = calibration.set_active(
            session=session, model_id=model_id, active=active, settings=get_settings()
        )
        out = ModelRead.of(model).model_dump(mode="json")
    if as_json:
        print_json(out)
    else:
        typer.echo(f"model {model_id} {'active' if active else 'inactive'}")


@models_app.command("activate")
def models_activate(model_id: int, as_json: JsonOpt = False) -> None:
    """Let runs of the model's kind use it (the newest active one wins); audited."""
    _set_active(model_id, True, as_json)


@models_app.command("deactivate")
def models_deactivate(model_id: int, as_json: JsonOpt = False) -> None:
    """Stop runs using the model (back to an older active one, or the declared values)."""
    _set_active(model_id, False, as_json)


def _review_dict(item: review.Review) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "left": {"dataset": item.left_dataset, "key": item.left_key},
        "right": {"dataset": item.right_dataset, "key": item.right_key},
        "match_weight": item.match_weight,
        "evidence": json.loads(item.evidence) if item.evidence else {},
        "decided_by": item.decided_by,
        "note": item.note,
    }


@review_app.command("list")
def review_list(
    status: Annotated[str, typer.Option(help="pending, accepted or rejected")] = "pending",
    kind: Annotated[str | None, typer.Option(help="person or business")] = None,
    limit: int = 100,
    cursor: str | None = None,
    as_json: JsonOpt = False,
) -> None:
    """List review items."""
    with cli_session() as session:
        items, next_cursor = review.list_reviews(
            session=session, status=status, kind=kind, page=cli_page(limit, cursor)
        )
        rows = [_review_dict(i) for i in items]
    if as_json:
        print_json({"items": rows, "next_cursor": next_cursor})
        return
    print_table(
        "Review queue",
        ["id", "kind", "left", "right", "weight", "status"],
        [
            [
                r["id"],
                r["kind"],
                f"{r['left']['dataset']}/{r['left']['key']}",
                f"{r['right']['dataset']}/{r['right']['key']}",
                f"{r['match_weight']:.2f}",
                r["status"],
            ]
            for r in rows
        ],
    )


def _decide(review_id: int, decision: str, note: str | None, as_json: bool) -> None:
    with cli_session() as session:
        item = review.decide(
            session=session,
            review_id=review_id,
            decision=decision,
            note=note,
            settings=get_settings(),
        )
        row = _review_dict(item)
    if as_json:
        print_json(row)
    else:
        typer.echo(f"review {review_id} {decision}")


@review_app.command("accept")
def review_accept(review_id: int, note: str | None = None, as_json: JsonOpt = False) -> None:
    """Accept a pair: its records are always linked from the next run on."""
    _decide(review_id, "accepted", note, as_json)


@review_app.command("reject")
def review_reject(review_id: int, note: str | None = None, as_json: JsonOpt = False) -> None:
    """Reject a pair: its records are never linked, even through others."""
    _decide(review_id, "rejected", note, as_json)


@masters_app.command("show")
def masters_show(master_id: str, as_json: JsonOpt = False) -> None:
    """A master record with its survived fields and linked source records."""
    with cli_session() as session:
        master = session.get(Master, master_id)
        if master is None:
            raise NotFound(f"no master record {master_id!r}", code="unknown-master")
        links = session.scalars(select(Link).where(Link.master_id == master_id)).all()
        out = {
            "id": master.id,
            "kind": master.kind,
            "attributes": json.loads(master.attributes),
            "records": [
                {
                    "dataset": lk.dataset,
                    "key": lk.record_key,
                    "match_weight": lk.match_weight,
                    "match_kind": lk.match_kind,
                }
                for lk in links
            ],
        }
    if as_json:
        print_json(out)
        return
    print_table(f"{out['kind']} {master_id}", ["field", "value"], list(out["attributes"].items()))
    print_table(
        "records",
        ["dataset", "key", "weight", "kind"],
        [[r["dataset"], r["key"], r["match_weight"], r["match_kind"]] for r in out["records"]],
    )


@linkage_app.command("evaluate")
def evaluate(
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help="truth.json of an ingested sample, or truth.csv (source,record_id,entity_id) "
            "beside the ingested files: score the masters",
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="The masters scored at the top level (person, business)")
    ] = "person",
    use_febrl4: Annotated[
        bool | None,
        typer.Option("--febrl4/--no-febrl4", help="Link FEBRL4 beside a baseline"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pairwise precision, recall, F1, coverage and cluster figures (masters vs a truth file;
    FEBRL4)."""
    result: dict = {}
    if truth is not None:
        with cli_session() as session:
            result = evaluate_store(session=session, truth_path=truth, kind=kind)
    if use_febrl4 if use_febrl4 is not None else truth is None:
        result["febrl4"] = febrl4()
    if as_json:
        print_json(result)
        return
    if truth is not None:
        scored = [(kind, result)] + [(k, result[k]) for k in KINDS if k in result]
        for name, f in scored:
            typer.echo(
                f"{name}: precision {f['precision']} recall {f['recall']} f1 {f['f1']} "
                f"coverage {f['coverage']} ({f['records']} of {f['truth_records']} truth "
                f"records in the store, {f['unlinked']} not linked; exact clusters "
                f"{f['clusters_exact']}; {f['review_pending']} pairs waiting for review)"
            )
    for side in ("ours", "baseline"):
        if "febrl4" in result:
            f = result["febrl4"][side]
            typer.echo(
                f"febrl4 {side}: precision {f['precision']} recall {f['recall']} "
                f"f1 {f['f1']} ({f['seconds']} s)"
            )
