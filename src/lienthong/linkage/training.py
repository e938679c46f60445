"""Training a kind's comparisons on the store's own records (``lienthong linkage train``).

u (how often two different records reach a level) is estimated from random pairs; m (how often
two records of one person do) by Splink's expectation maximisation over pairs blocked by rules
that leave the trained comparison free; the term frequencies of name parts are counted in the
records, with the reference file as a prior. The declared values are the prior and the
fallback: a level keeps its declared m (or u) when too few pairs reached it to estimate it, when
its comparison was blocked on in every training rule, when random pairs of one person would make
up half its u, when its weight would change sign (evidence for a match turned against, or the
reverse), or when its new weight would coincide with another level's (a pair's weight names the
level it reached: engine.level_labels).

Training stores a new model version; it takes effect at the next run (which rescores every pair
under it, linkage.service) when stored active.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.events import event
from lienthong.linkage.calibration import Parameters, declared_parameters, level_key, weight
from lienthong.linkage.models import Model
from lienthong.linkage.service import features_of
from lienthong.linkage.spec import LinkSpec, load_spec, name_frequencies

# Training blocks: each leaves every comparison that reads none of its columns free to be
# trained (Splink deactivates the others for that session). Together they free every
# comparison: the date of birth trains names, sex, commune and identifiers; the full name
# trains birth, sex, commune and identifiers. (Blocking on the personal ID gives pairs that are
# nearly all one person, on which expectation maximisation degenerates.)
TRAINING_RULES = {
    "person": [
        "l.dob = r.dob",
        "l.family = r.family AND l.given = r.given AND l.middle = r.middle",
    ],
    "business": ["l.tid = r.tid", "l.name_key = r.name_key"],
}
# Whether a model is stored active unless told: set from the hold-out figures (docs/linkage.md).
ACTIVATE = False
MIN_PAIRS = 20.0  # expected pairs at a level before its estimate replaces the declared value
U_PAIRS = 1_000_000  # random pairs sampled for u
SEED = 1
PRIOR_RECORDS = 1_000  # weight of the reference frequencies, in records
NAME_PARTS = ("family", "given", "middle")
_COLUMN = re.compile(r"\b([a-z_]+)_[lr]\b")
_SIDE = re.compile(r"\b[lr]\.([a-z_]+)\b")
_COLUMN_SIDE = re.compile(r"\b([a-z_]+)_([lr])\b")


@dataclass
class Trained:
    model: Model
    summary: dict[str, Any]


def _columns_of(comparison: dict[str, Any]) -> set[str]:
    return {
        m.group(1)
        for level in comparison["comparison_levels"]
        for m in _COLUMN.finditer(level["sql_condition"])
    }


def _free_rules(spec: LinkSpec, rules: list[str]) -> dict[str, list[int]]:
    """Per comparison, the training rules (by index) that do not block on what it reads."""
    used = [set(_SIDE.findall(rule)) for rule in rules]
    return {
        c["output_column_name"]: [i for i, cols in enumerate(used) if not cols & _columns_of(c)]
        for c in spec.comparisons
    }


def _settings(spec: LinkSpec, rules: list[str]) -> dict[str, Any]:
    settings = spec.settings(guard=None)
    settings["blocking_rules_to_generate_predictions"] = rules
    settings["max_iterations"] = 25
    return settings


def _level_case(comparison: dict[str, Any]) -> str:
    """The level a pair reached, as Splink numbers them: null -1, then down to 0 (else)."""
    levels = [
        {**lv, "sql_condition": _COLUMN_SIDE.sub(r"\2.\1", lv["sql_condition"])}
        for lv in comparison["comparison_levels"]
    ]
    ranked = [lv for lv in levels if not lv.get("is_null_level")]
    arms = [f"WHEN {lv['sql_condition']} THEN -1" for lv in levels if lv.get("is_null_level")] + [
        f"WHEN {lv['sql_condition']} THEN {len(ranked) - 1 - i}"
        for i, lv in enumerate(ranked)
        if lv["sql_condition"] != "ELSE"
    ]
    return f"CASE {' '.join(arms)} ELSE 0 END"


def _level_pairs(
    connection: duckdb.DuckDBPyConnection,
    tables: tuple[str, str],
    spec: LinkSpec,
    free: dict[str, list[int]],
) -> dict[str, dict[int, float]]:
    """Per comparison, the expected number of matching pairs at each level (by gamma) among
    the training pairs of the rules that leave it free: the evidence behind its m."""
    out: dict[str, dict[int, float]] = {}
    for comparison in spec.comparisons:
        name = comparison["output_column_name"]
        keys = free[name]
        if not keys:
            out[name] = {}
            continue
        marks = ", ".join(f"'{k}'" for k in keys)
        pairs, records = tables
        rows = connection.execute(
            f"SELECT {_level_case(comparison)} AS level, sum(p.match_probability) "  # noqa: S608
            f"FROM {pairs} p JOIN {records} l ON l.uid = p.uid_l "
            f"JOIN {records} r ON r.uid = p.uid_r "
            f"WHERE CAST(p.match_key AS VARCHAR) IN ({marks}) GROUP BY 1"
        ).fetchall()
        out[name] = {int(g): float(s or 0.0) for g, s in rows}
    return out


def same_identifier_share(features: pl.DataFrame) -> float:
    """Share of all record pairs that hold one trusted identifier: a floor under the share of
    random pairs that are one person (which u from random pairs wrongly counts as different)."""
    n = len(features)
    if n < 2 or "trusted" not in features.columns:
        return 0.0
    sizes = features["trusted"].drop_nulls().value_counts()["count"]
    return float((sizes * (sizes - 1) // 2).sum()) / (n * (n - 1) / 2)


def _estimate(
    spec: LinkSpec, features: pl.DataFrame, em: bool
) -> tuple[Parameters, dict[str, dict[int, float]], int, list[str]]:
    """Splink's estimates of every level, the evidence behind each m, the random pairs behind
    each u, and the training rules whose expectation maximisation failed (a level's m driven
    to nothing): the comparisons they would have trained keep their other estimates. Without
    ``em`` no m is estimated (every m stays declared)."""
    rules = TRAINING_RULES[spec.kind] if em else []
    table = features.drop("dataset", "key", "updated_at", strict=False).to_arrow()
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    try:
        db_api = DuckDBAPI(connection)
        frame = db_api.register(table, dataset_display_name="records")
        linker = Linker(frame, _settings(spec, rules), log_level=logging.ERROR)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_PAIRS, seed=SEED, min_count_per_level=None
        )
        failed: list[str] = []
        for rule in rules:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
            except ValueError:
                failed.append(rule)
        model = linker.misc.save_model_to_json()
        evidence: dict[str, dict[int, float]] = {}
        if rules:
            predictions = linker.inference.predict(warning_mode="never")
            free = {
                name: [i for i in keys if rules[i] not in failed]
                for name, keys in _free_rules(spec, rules).items()
            }
            tables = (predictions.physical_name, frame.physical_name)
            evidence = _level_pairs(connection, tables, spec, free)
    finally:
        connection.close()
    estimated: Parameters = {
        c["output_column_name"]: {
            level_key(level): {"m": level["m_probability"], "u": level["u_probability"]}
            for level in c["comparison_levels"]
            if not level.get("is_null_level")
        }
        for c in model["comparisons"]
    }
    n = len(features)
    return estimated, evidence, min(U_PAIRS, n * (n - 1) // 2), failed


def _valid(p: Any) -> bool:
    return isinstance(p, int | float) and 0.0 < p < 1.0 and math.isfinite(p)


def _guarded(
    spec: LinkSpec,
    estimated: Parameters,
    evidence: Mapping[str, Mapping[int, float]],
    sampled: int,
    matched_share: float,
) -> tuple[Parameters, dict[str, Any]]:
    """The model's parameters: each estimate kept only where the data bore it out.

    Random pairs include some of one person (``matched_share`` of them at least): a u is
    corrected for them, and kept declared when they would make up half of it or more."""
    declared = declared_parameters(spec)
    parameters: Parameters = {}
    summary: dict[str, Any] = {}
    for comparison in spec.comparisons:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        chosen: dict[str, dict[str, float]] = {}
        report: dict[str, Any] = {}
        for position, level in enumerate(levels):
            key = level_key(level)
            prior, guess = declared[name][key], estimated.get(name, {}).get(key, {})
            gamma = len(levels) - 1 - position  # Splink numbers levels down to 0 (else)
            m_pairs = evidence.get(name, {}).get(gamma, 0.0)
            m_ok = _valid(guess.get("m")) and m_pairs >= MIN_PAIRS
            m = guess["m"] if m_ok else prior["m"]
            seen = guess["u"] if _valid(guess.get("u")) else 0.0
            u_pairs = seen * sampled
            matched = matched_share * m
            corrected = (seen - matched) / (1 - matched_share)
            u_ok = u_pairs >= MIN_PAIRS and matched < seen / 2 and _valid(corrected)
            u = corrected if u_ok else prior["u"]
            value = {"m": m, "u": u}
            # A level declared as evidence for (against) a match stays so: a sign flipped by
            # the data is taken for a violated assumption (namesakes read as one person).
            if weight(**value) * weight(**prior) < 0:
                value, m_ok, u_ok = dict(prior), False, False
            chosen[key] = value
            report[key] = {
                "m_trained": m_ok,
                "u_trained": u_ok,
                "m_pairs": round(m_pairs, 1),
                "u_pairs": round(u_pairs, 1),
                "m": [prior["m"], value["m"]],
                "u": [prior["u"], value["u"]],
                "weight": [round(weight(**prior), 2), round(weight(**value), 2)],
            }
        _keep_distinct(chosen, declared[name], report)
        parameters[name] = chosen
        summary[name] = report
    return parameters, summary


def _keep_distinct(
    chosen: dict[str, dict[str, float]],
    declared: Mapping[str, Mapping[str, float]],
    report: dict[str, Any],
) -> None:
    """A level whose new weight coincides (to 2 decimals) with another's goes back to its
    declared m and u: a pair's weight must still name the level it reached."""
    seen: set[float] = {0.0}  # the null level
    for key, value in chosen.items():
        w = round(weight(**value), 2)
        if w in seen:
            chosen[key] = dict(declared[key])
            report[key] |= {"m_trained": False, "u_trained": False, "m": [declared[key]["m"]] * 2}
            report[key] |= {"u": [declared[key]["u"]] * 2}
            w = round(weight(**chosen[key]), 2)
        seen.add(w)


def term_frequencies(features: pl.DataFrame) -> dict[str, Any]:
    """Share of records bearing each name part, the reference shares counting as
    ``PRIOR_RECORDS`` records; a value not seen at training counts as seen once."""
    reference = name_frequencies()
    out: dict[str, Any] = {"default": {}}
    for column in NAME_PARTS:
        if column not in features.columns:
            continue
        counts = features[column].drop_nulls().value_counts(sort=True)
        total = int(counts["count"].sum())
        known, default = reference.get(column, {}), reference["default"][column]
        denominator = total + PRIOR_RECORDS
        values = {
            str(v): (int(c) + PRIOR_RECORDS * known.get(v, default)) / denominator
            for v, c in counts.iter_rows()
        }
        for v, share in known.items():
            values.setdefault(v, PRIOR_RECORDS * share / denominator)
        out[column] = values
        out["default"][column] = (1 + PRIOR_RECORDS * default) / denominator
    return out


def _moved(summary: Mapping[str, Any]) -> dict[str, Any]:
    trained = [
        f"{c}/{lv}"
        for c, levels in summary.items()
        for lv, r in levels.items()
        if r["m_trained"] or r["u_trained"]
    ]
    shifts = [
        abs(r["weight"][1] - r["weight"][0]) for levels in summary.values() for r in levels.values()
    ]
    return {"levels_trained": trained, "largest_weight_shift": round(max(shifts, default=0.0), 2)}


def train(
    *,
    session: Session,
    kind: str,
    frames: Mapping[str, pl.DataFrame],
    activate: bool,
    em: bool = True,
    trained_by: str = "operator",
    settings: Settings | None = None,
    actor: dict[str, Any] | None = None,
) -> Trained:
    """Train ``kind``'s comparisons on the records of ``frames`` and store a model version
    (used by runs from the next one on when ``activate``). Without ``em`` only u and the
    name-part frequencies are estimated. With ``settings`` the training is audited in the same
    transaction."""
    spec = load_spec(kind)
    features = features_of(session=session, kind=kind, frames=frames)
    parameters = declared_parameters(spec)
    summary: dict[str, Any] = {}
    failed: list[str] = []
    if len(features) >= 2:
        estimated, evidence, sampled, failed = _estimate(spec, features, em)
        share = same_identifier_share(features)
        parameters, summary = _guarded(spec, estimated, evidence, sampled, share)
    tf = term_frequencies(features) if kind == "person" else None
    overview = _moved(summary) | {"levels": summary, "rules_failed": failed, "em": em}
    model = Model(
        kind=kind,
        active=activate,
        in_use=False,
        trained_by=trained_by,
        records=len(features),
        parameters=json.dumps(parameters, sort_keys=True),
        term_frequencies=json.dumps(tf, sort_keys=True) if tf else "null",
        summary=json.dumps(overview, sort_keys=True),
    )
    session.add(model)
    session.flush()
    if settings is not None:
        entry = event(
            "linkage.train",
            actor=actor or {"kind": "operator"},
            kind=kind,
            model=model.id,
            records=model.records,
            active=activate,
            em=em,
            levels_trained=len(overview["levels_trained"]),
        )
        record(session=session, settings=settings, entry=entry)
    return Trained(model=model, summary=overview)
