"""The scoring engine on plain frames: folding, name order, accuracy on a noisy population."""

from __future__ import annotations

import itertools

import polars as pl

from lienthong.linkage.cluster import cluster
from lienthong.linkage.engine import score, unique_name_pairs
from lienthong.linkage.extract import records_of
from lienthong.linkage.features import person_features
from lienthong.linkage.spec import load_spec
from lienthong.text import fold, fold_expr
from tests.linkage.factories import OLD_COMMUNES, people, sectors


def _pairs(labels: list) -> set[tuple[int, int]]:
    groups: dict = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    return {p for m in groups.values() for p in itertools.combinations(sorted(m), 2)}


def test_column_fold_matches_text_fold() -> None:
    names = ["Nguyễn  Văn Đức", "ĐẶNG THỊ ÁNH", "Phạm Ngọc Ánh "]
    folded = pl.DataFrame({"n": names}).select(fold_expr(pl.col("n")))["n"].to_list()
    assert folded == [fold(n) for n in names]


def test_family_name_written_last_is_turned_back() -> None:
    frame = pl.DataFrame(
        {"dataset": ["x", "x"], "key": ["1", "2"], "name": ["Nguyễn Văn An", "Văn An Nguyễn"]}
    )
    out = person_features(frame, spec=load_spec("person"), successions={})
    assert out["family"].to_list() == ["nguyen", "nguyen"]
    assert out["given"].to_list() == ["an", "an"]


def test_id_contradicting_birth_data_is_not_trusted() -> None:
    frame = pl.DataFrame(
        {
            "dataset": ["x"],
            "key": ["1"],
            "id": ["033090001234"],
            "sex": ["2"],
            "date_of_birth": ["1990-01-01"],
        }
    )
    out = person_features(frame, spec=load_spec("person"), successions={})
    assert out["pid"].to_list() == ["033090001234"]
    assert out["trusted"].to_list() == [None]


def test_accuracy_on_a_noisy_population() -> None:
    frames, truth = sectors(people(1500))
    spec = load_spec("person")
    features = (
        person_features(records_of("person", frames), spec=spec, successions=OLD_COMMUNES)
        .with_row_index("uid")
        .with_columns(pl.col("uid").cast(pl.Int64))
    )
    scored = score(features, spec)
    assert scored.comparisons < 5 * len(features)
    labels = cluster(trusted=features["trusted"].to_list(), pairs=scored.pairs, spec=spec)
    entities = [truth[k] for k in zip(features["dataset"], features["key"], strict=True)]
    found, true = _pairs(labels), _pairs(entities)
    precision = len(found & true) / len(found)
    recall = len(found & true) / len(true)
    assert precision >= 0.99
    assert recall >= 0.75


def test_rejected_pair_never_clusters() -> None:
    spec = load_spec("person")
    pairs = pl.DataFrame(
        {
            "uid_l": [0, 1],
            "uid_r": [1, 2],
            "match_weight": [20.0, 20.0],
            "match_kind": ["probabilistic"] * 2,
            "evidence": [None, None],
        }
    )
    assert cluster(trusted=[None] * 3, pairs=pairs, spec=spec) == [0, 0, 0]
    split = cluster(trusted=[None] * 3, pairs=pairs, spec=spec, rejected=[(0, 2)])
    assert split[0] != split[2]
    conflict = cluster(trusted=["a", None, "b"], pairs=pairs, spec=spec)
    assert conflict[0] != conflict[2]


def test_old_id_card_after_the_name_is_not_part_of_it() -> None:
    frame = pl.DataFrame(
        {
            "dataset": ["x", "x"],
            "key": ["1", "2"],
            "name": ["Trần Văn Hiệp - CMND 151250298", "Nguyễn Văn Cmnd"],
        }
    )
    out = person_features(frame, spec=load_spec("person"), successions={})
    assert out["name_fold"].to_list() == ["tran van hiep", "nguyen van cmnd"]
    assert out["given"].to_list() == ["hiep", "cmnd"]


def _land_and_citizens(citizen_ids: list[str]) -> pl.DataFrame:
    n = len(citizen_ids)
    return pl.DataFrame(
        {
            "dataset": ["citizen"] * n + ["land_parcel"],
            "key": [*citizen_ids, "12001~1~1"],
            "id": [*citizen_ids, None],
            "name": ["Hoàng Thị Ngọc"] * (n + 1),
            "sex": ["2"] * n + [None],
            "date_of_birth": [f"19{citizen_ids[i][4:6]}-10-28" for i in range(n)] + [None],
            "commune_code": ["12001"] * (n + 1),
        }
    )


def test_name_and_commune_only_attach_to_the_registers_only_namesake() -> None:
    spec = load_spec("person")
    alone = person_features(_land_and_citizens(["033142285925"]), spec=spec, successions={})
    alone = alone.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64))
    pairs = unique_name_pairs(alone, spec)
    assert pairs.select("uid_l", "uid_r", "match_kind").rows() == [(0, 1, "unique-name")]
    assert spec.accept_weight <= pairs["match_weight"][0] < spec.strong_weight
    two = person_features(
        _land_and_citizens(["033142285925", "033165000001"]), spec=spec, successions={}
    )
    two = two.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64))
    assert unique_name_pairs(two, spec).is_empty()  # two namesakes: left for review
