"""Linking on what land and health records really carry: a holder's year of birth, an old
identity card (CMND) or a passport instead of the personal ID."""

from __future__ import annotations

import json

import polars as pl

from lienthong.linkage.cluster import cluster
from lienthong.linkage.engine import score
from lienthong.linkage.extract import records_of
from lienthong.linkage.features import person_features
from lienthong.linkage.spec import load_spec
from tests.linkage.factories import COMMUNE, HOLDER, HOLDER_DOCUMENT, citizen_frame, parcel_frame

SPEC = load_spec("person")


def _link(frames: dict[str, pl.DataFrame]) -> tuple[dict[tuple[str, str], int], pl.DataFrame]:
    """Each record's cluster, and the scored pairs with both records named."""
    features = (
        person_features(records_of("person", frames), spec=SPEC, successions={})
        .with_row_index("uid")
        .with_columns(pl.col("uid").cast(pl.Int64))
    )
    scored = score(features, SPEC)
    labels = cluster(trusted=features["trusted"].to_list(), pairs=scored.pairs, spec=SPEC)
    records = list(zip(features["dataset"], features["key"], strict=True))
    names = pl.DataFrame({"uid": features["uid"], "rec": [f"{d}/{k}" for d, k in records]})
    pairs = scored.pairs.join(names.rename({"uid": "uid_l", "rec": "left"}), on="uid_l").join(
        names.rename({"uid": "uid_r", "rec": "right"}), on="uid_r"
    )
    return dict(zip(records, labels, strict=True)), pairs


def _weight(pairs: pl.DataFrame, a: str, b: str) -> float | None:
    hit = pairs.filter(
        ((pl.col("left") == a) & (pl.col("right") == b))
        | ((pl.col("left") == b) & (pl.col("right") == a))
    )
    return None if hit.is_empty() else float(hit["match_weight"][0])


def test_land_holder_linked_by_name_and_year_of_birth_not_to_a_namesake() -> None:
    # Two women of one name in one commune: name and commune alone cannot tell them apart.
    older, younger = "033175000001", "033190000002"
    citizens = citizen_frame(
        [
            (older, "Hoàng Thị Ngọc", "2", "1975-10-28"),
            (younger, "Hoàng Thị Ngọc", "2", "1990-04-02"),
        ]
    )
    land = parcel_frame(
        [
            {"holder_name": "Hoàng Thị Ngọc", "holder_birth_year": "1975"},
            {"holder_name": "Hoàng Thị Ngọc", "holder_birth_date": "1990-04-02"},
            {"holder_name": "Hoàng Thị Ngọc", "holder_birth_year": "1960"},
        ],
        HOLDER + HOLDER_DOCUMENT,
    )
    labels, pairs = _link({"citizen": citizens, "land_parcel": land})
    first, second, third = (("land_parcel", f"{COMMUNE}~1~{i}") for i in (1, 2, 3))
    assert labels[first] == labels[("citizen", older)]
    assert labels[second] == labels[("citizen", younger)]
    assert labels[("citizen", older)] != labels[("citizen", younger)]
    assert labels[third] not in {labels[("citizen", older)], labels[("citizen", younger)]}
    year_only = _weight(pairs, f"citizen/{older}", f"land_parcel/{COMMUNE}~1~1")
    assert year_only is not None and year_only >= SPEC.accept_weight
    other_year = _weight(pairs, f"citizen/{younger}", f"land_parcel/{COMMUNE}~1~1")
    assert other_year is None or other_year < SPEC.review_weight
    evidence = pairs.filter(pl.col("right") == f"land_parcel/{COMMUNE}~1~1")["evidence"]
    assert json.loads(evidence[0])["dob"] > 5  # the year weighs as evidence


def test_same_old_card_links_records_across_sectors() -> None:
    # The population register keeps the old CMND beside the personal ID; health and land
    # exports still carry the CMND alone, with names written differently.
    citizens = citizen_frame(
        [("033070000003", "Trần Văn Hiệp", "1", "1970-02-11")],
        id_document_type=["cmnd"],
        id_document_number=["145123456"],
    )
    health = pl.DataFrame(
        {
            "_key": ["HC4330000000001"],
            "personal_id": ["145123456"],
            "full_name": ["TRAN VAN HIEP"],
            "sex": ["1"],
            "date_of_birth": [None],
            "commune_code": ["12039"],
        },
        schema_overrides={"date_of_birth": pl.Utf8},
    )
    land = parcel_frame(
        [
            {"holder_id": "145123456", "holder_name": "Tran Van Hiep"},
            # Same name and year, another card of the same kind: counts against (mildly: a
            # card issued in another province has another number).
            {"holder_id": "151999999", "holder_name": "Trần Văn Hiệp", "holder_birth_year": "1970"},
        ],
        HOLDER + HOLDER_DOCUMENT,
    )
    labels, pairs = _link({"citizen": citizens, "health_insurance": health, "land_parcel": land})
    master = labels[("citizen", "033070000003")]
    assert labels[("health_insurance", "HC4330000000001")] == master
    assert labels[("land_parcel", f"{COMMUNE}~1~1")] == master
    card = pairs.filter(
        (pl.col("left") == "citizen/033070000003")
        & (pl.col("right") == "health_insurance/HC4330000000001")
    )
    assert json.loads(card["evidence"][0])["id_document"] > 20
    other = pairs.filter(
        (pl.col("left") == "citizen/033070000003")
        & (pl.col("right") == f"land_parcel/{COMMUNE}~1~2")
    )
    assert json.loads(other["evidence"][0])["id_document"] < 0


def test_a_cmnd_and_a_cccd_are_not_compared() -> None:
    frame = pl.DataFrame(
        {
            "dataset": ["citizen", "land_parcel", "land_parcel"],
            "key": ["1", "2", "3"],
            "id": ["033070000003", "145123456", None],
            "document_type": [None, None, "passport"],
            "document_number": [None, None, "ab12345"],
        }
    )
    out = person_features(frame, spec=SPEC, successions={})
    assert out["pid"].to_list() == ["033070000003", None, None]
    assert out["doc"].to_list() == [None, "cmnd:145123456", "passport:AB12345"]
