"""Training the comparisons on the store's records: the estimates move the way the data says,
degenerate levels keep their declared values, runs use the model and name it, and an
incremental run equals a full relink under it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from lienthong.db import transaction
from lienthong.linkage import calibration, service, training
from lienthong.linkage.models import Link, Model
from lienthong.linkage.spec import load_spec, name_frequencies
from tests.linkage.factories import ID_KEY, people, sectors


@pytest.fixture(scope="module")
def population() -> tuple[dict, dict]:
    return sectors(people(500))


def _links(engine: Engine) -> dict[tuple[str, str], str]:
    with transaction(engine) as session:
        return {
            (r.dataset, r.record_key): r.master_id
            for r in session.scalars(select(Link).where(Link.kind == "person"))
        }


def _train(engine: Engine, frames: dict, activate: bool = True) -> Model:
    with transaction(engine) as session:
        model = training.train(session=session, kind="person", frames=frames, activate=activate)
        session.expunge(model.model)
        return model.model


def test_training_moves_parameters_the_way_the_store_says(
    engine: Engine, population: tuple[dict, dict]
) -> None:
    frames, _ = population
    model = _train(engine, frames)
    levels = json.loads(model.summary)["levels"]
    parameters = json.loads(model.parameters)
    # Half the factory's people are Nguyễn (38 % in the reference) among 18 family names:
    # two random records share a family name far more often than the declared 10 %.
    family = levels["family"]["exact with diacritics"]
    assert family["u_trained"] and family["u"][0] == 0.1 and family["u"][1] > 0.15
    assert parameters["family"]["exact with diacritics"]["u"] == family["u"][1]
    # Eleven middle names: more often shared than declared; and one person's records agree
    # on the middle name (no typos in the factory) more often than the declared 94.5 %.
    middle = levels["middle"]["exact without diacritics"]
    assert middle["m_trained"] and middle["m"][1] > 0.945
    # No two different people share a personal ID: the random pairs that do are one person,
    # so u stays declared; and the level "one digit wrong" is never reached.
    assert not levels["personal_id"]["exact"]["u_trained"]
    assert parameters["personal_id"]["exact"]["u"] == 1e-7
    assert not levels["personal_id"]["one digit wrong or two swapped"]["m_trained"]
    assert levels["personal_id"]["exact"]["u"] == [1e-7, 1e-7]
    trained = json.loads(model.summary)["levels_trained"]
    assert "family/exact with diacritics" in trained
    assert "personal_id/one digit wrong or two swapped" not in trained
    frequencies = json.loads(model.term_frequencies)
    assert frequencies["family"]["nguyen"] > name_frequencies()["family"]["nguyen"]
    assert model.records == sum(len(f) for f in frames.values())


def test_runs_use_the_newest_active_model_and_name_it(
    engine: Engine, population: tuple[dict, dict]
) -> None:
    frames, _ = population
    with transaction(engine) as session:
        declared = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert declared.model is None
    inactive = _train(engine, frames, activate=False)
    with transaction(engine) as session:
        assert calibration.current_spec(session=session, kind="person") == load_spec("person")
        again = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert again.model is None and again.mode == "incremental" and again.new_records == 0
    model = _train(engine, frames)
    assert model.id != inactive.id
    with transaction(engine) as session:
        spec = calibration.current_spec(session=session, kind="person")
        # The first run under a new model rescores every pair; the next reuses them.
        first = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
        second = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert spec.model == model.id and spec.term_frequencies is not None
    family = next(c for c in spec.comparisons if c["output_column_name"] == "family")
    assert family["comparison_levels"][1]["u_probability"] > 0.15
    assert (first.model, first.mode, first.new_records) == (model.id, "full", first.records)
    assert (second.model, second.mode, second.new_records) == (model.id, "incremental", 0)


def test_incremental_equals_full_relink_under_a_trained_model(
    engine: Engine, population: tuple[dict, dict]
) -> None:
    frames, _ = population
    _train(engine, frames)
    half = {name: frame.head(len(frame) // 2) for name, frame in frames.items()}
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=half, id_key=ID_KEY)
        run = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
    assert 0 < run.new_records < run.records and run.model is not None
    incremental = _links(engine)
    with transaction(engine) as session:
        full = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY, full=True)
    assert full.model == run.model
    assert _links(engine) == incremental


def test_without_em_only_u_and_frequencies_are_trained(
    engine: Engine, population: tuple[dict, dict]
) -> None:
    frames, _ = population
    with transaction(engine) as session:
        done = training.train(
            session=session, kind="person", frames=frames, activate=False, em=False
        )
    levels = done.summary["levels"]
    assert done.summary["em"] is False and done.summary["rules_failed"] == []
    assert not any(r["m_trained"] for lv in levels.values() for r in lv.values())
    assert levels["family"]["exact with diacritics"]["u_trained"]
    assert levels["middle"]["exact without diacritics"]["m"] == [0.945, 0.945]
