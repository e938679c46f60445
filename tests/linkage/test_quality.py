"""Linking what exports really look like, one case each, through a linking run on the database:
names without diacritics, in capitals, in another order or mistyped; a personal ID with a
keying slip; a review queue that asks only what changes the result, most consequential first."""

from __future__ import annotations

import json

import polars as pl
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.linkage import review, service
from lienthong.linkage.cluster import one_slip
from lienthong.linkage.engine import level_labels
from lienthong.linkage.features import person_features, sounds_like
from lienthong.linkage.models import Link, Pair, Review
from lienthong.linkage.spec import load_spec
from lienthong.paging import PageRequest, cursor_seal
from lienthong.text import fold_expr
from tests.linkage.factories import COMMUNE, ID_KEY, citizen_frame, parcel_frame

SPEC = load_spec("person")


def _cards(rows: list[tuple[str, str | None, str, str | None]]) -> pl.DataFrame:
    """(card number, personal ID or none, name, date of birth or none)."""
    return pl.DataFrame(
        {
            "_key": [r[0] for r in rows],
            "card_number": [r[0] for r in rows],
            "personal_id": [r[1] for r in rows],
            "full_name": [r[2] for r in rows],
            "sex": [None] * len(rows),
            "date_of_birth": [r[3] for r in rows],
            "commune_code": [COMMUNE] * len(rows),
        },
        schema_overrides={"personal_id": pl.Utf8, "date_of_birth": pl.Utf8, "sex": pl.Utf8},
    )


def _run(engine: Engine, frames: dict[str, pl.DataFrame], *, full: bool = False) -> None:
    with transaction(engine) as session:
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY, full=full)


def _masters(engine: Engine) -> dict[tuple[str, str], str]:
    with transaction(engine) as session:
        return {
            (r.dataset, r.record_key): r.master_id
            for r in session.scalars(select(Link).where(Link.kind == "person"))
        }


def _partition(links: dict[tuple[str, str], str]) -> set[frozenset[tuple[str, str]]]:
    groups: dict[str, set[tuple[str, str]]] = {}
    for record, master in links.items():
        groups.setdefault(master, set()).add(record)
    return {frozenset(g) for g in groups.values()}


def _parcel(n: int) -> tuple[str, str]:
    return ("land_parcel", f"{COMMUNE}~1~{n}")


def test_name_order_capitals_and_missing_diacritics_are_read_alike() -> None:
    names = ["Hùng Nguyễn Văn", "NGUYỄN VĂN HÙNG", "Nguyen Van Hung", "Văn Hùng Nguyễn"]
    frame = pl.DataFrame({"dataset": ["x"] * 4, "key": ["1", "2", "3", "4"], "name": names})
    parts = person_features(frame, spec=SPEC, successions={})
    assert parts.select("family", "middle", "given").unique().rows() == [("nguyen", "van", "hung")]
    assert parts["name_sorted"].unique().to_list() == ["hung nguyen van"]


def test_misspelt_and_reordered_names_reach_the_person(engine: Engine) -> None:
    citizens = citizen_frame(
        [
            ("034173385203", "Lê Thị Xuân", "2", "1973-03-30"),
            ("034094463962", "Trần Thanh Dũng", "1", "1994-11-25"),
            ("034068634021", "Trịnh Văn Trường", "1", "1968-01-10"),
        ]
    )
    land = parcel_frame(
        [
            # s for x, as the northern accent says it; no diacritics.
            {"holder_name": "Le Thi Suan", "holder_birth_date": "1973-03-30"},
            # A letter dropped, the year of birth only.
            {"holder_name": "TRẦN THANH DŨN", "holder_birth_year": "1994"},
            # Given name first, and Trường is a family name too.
            {"holder_name": "TRƯỜNG TRỊNH VĂN", "holder_birth_year": "1968"},
        ]
    )
    with transaction(engine) as session:
        service.link(
            session=session,
            kind="person",
            frames={"citizen": citizens, "land_parcel": land},
            id_key=ID_KEY,
        )
    masters = _masters(engine)
    assert masters[_parcel(1)] == masters[("citizen", "034173385203")]
    assert masters[_parcel(2)] == masters[("citizen", "034094463962")]
    assert masters[_parcel(3)] == masters[("citizen", "034068634021")]
    assert len(set(masters.values())) == 3


def test_an_id_with_a_keying_slip_joins_when_name_and_birth_date_agree(engine: Engine) -> None:
    assert one_slip("034061167277", "034061162777")  # neighbours swapped
    assert one_slip("034061167277", "034061167377")  # one digit wrong
    assert not one_slip("034061167277", "034061168287")  # two digits wrong
    citizens = citizen_frame(
        [
            ("034061167277", "Đoàn Văn Anh", "1", "1961-04-21"),
            ("034062167277", "Đoàn Văn Anh", "1", "1962-08-02"),  # another man, a near ID
        ]
    )
    cards = _cards(
        [
            ("HT2343454226208", "034061162777", "DOAN VAN ANH", "1961-04-21"),  # swapped
            ("HT2343454226209", "034061167377", "Đoàn Văn Anh", "1961-04-21"),  # one digit
            ("HT2343454226210", "034062167277", "Đoàn Văn Ánh", "1962-08-02"),  # another name
        ]
    )
    _run(engine, {"citizen": citizens, "health_insurance": cards})
    masters = _masters(engine)
    first = masters[("citizen", "034061167277")]
    assert masters[("health_insurance", "HT2343454226208")] == first
    assert masters[("health_insurance", "HT2343454226209")] == first
    # One ID slip away from the first man, but his own birth date: not merged.
    assert masters[("citizen", "034062167277")] != first
    with transaction(engine) as session:
        evidence = session.scalars(
            select(Pair.evidence).where(Pair.right_key == "HT2343454226208")
        ).all()
    levels = [json.loads(e)["levels"]["personal_id"] for e in evidence if e]
    assert "one digit wrong or two swapped" in levels


def test_unique_name_rule_compares_names_folded(engine: Engine) -> None:
    # Two women named Nguyễn Thị Lan in the commune; a card without diacritics names the first.
    # Folded, "Nguyen Thi Lan" is not a unique name: a land row with only that name and the
    # commune is attached to nobody.
    citizens = citizen_frame(
        [
            ("033166063719", "Nguyễn Thị Lan", "2", "1966-03-31"),
            ("033190063720", "Nguyễn Thị Lan", "2", "1990-07-02"),
        ]
    )
    cards = _cards([("HC4343425573396", "033166063719", "Nguyen Thi Lan", "1966-03-31")])
    land = parcel_frame([{"holder_name": "Nguyen Thi Lan"}])
    frames = {"citizen": citizens, "health_insurance": cards, "land_parcel": land}
    _run(engine, frames)
    masters = _masters(engine)
    assert masters[("health_insurance", "HC4343425573396")] == masters[("citizen", "033166063719")]
    assert masters[_parcel(1)] not in {
        masters[("citizen", "033166063719")],
        masters[("citizen", "033190063720")],
    }


def test_review_queue_asks_only_what_changes_the_result(engine: Engine, settings: Settings) -> None:
    # Three namesakes of different ages in one commune; a land row knows only the name.
    citizens = citizen_frame(
        [
            ("033175000001", "Hoàng Thị Ngọc", "2", "1975-10-28"),
            ("033190000002", "Hoàng Thị Ngọc", "2", "1990-04-02"),
            ("033160000003", "Hoàng Thị Ngọc", "2", "1960-01-15"),
        ]
    )
    land = parcel_frame([{"holder_name": "Hoàng Thị Ngọc"}])
    _run(engine, {"citizen": citizens, "land_parcel": land})
    with transaction(engine) as session:
        pending, _ = review.list_reviews(
            session=session,
            status="pending",
            kind="person",
            page=PageRequest(seal=cursor_seal(settings), limit=50),
        )
        queued = [(r.left_key, r.right_key, json.loads(r.evidence or "{}")) for r in pending]
    # The lone land row has three candidates: only the best two are asked about.
    assert len(queued) == 2
    assert all(_parcel(1)[1] in (left, right) for left, right, _ in queued)
    for _, _, evidence in queued:
        assert evidence["levels"]["commune"] == "same commune after succession"
        assert evidence["levels"]["given"] == "exact with diacritics"
    # Once the row is decided another way (it gets its birth year), the questions go.
    land = parcel_frame([{"holder_name": "Hoàng Thị Ngọc", "holder_birth_year": "1990"}])
    _run(engine, {"citizen": citizens, "land_parcel": land}, full=True)
    with transaction(engine) as session:
        left = session.scalars(select(Review).where(Review.status == "pending")).all()
    assert left == []
    masters = _masters(engine)
    assert masters[_parcel(1)] == masters[("citizen", "033190000002")]


def test_incremental_run_after_a_deletion_equals_a_full_relink(engine: Engine) -> None:
    pid = "033080000123"
    citizens = citizen_frame([(pid, "Phạm Văn Long", "1", "1980-02-03")])
    cards = _cards(
        [
            ("GD4333300000001", pid, "Phạm Văn Long", "1980-02-03"),
            ("GD4333300000002", pid, "PHAM VAN LONG", "1980-02-03"),
        ]
    )
    _run(engine, {"citizen": citizens, "health_insurance": cards})
    # A new card of the same person joins an unchanged group (its pairs are not made twice).
    more = pl.concat([cards, _cards([("GD4333300000003", pid, "Phạm Văn Long", "1980-02-03")])])
    _run(engine, {"citizen": citizens, "health_insurance": more})
    assert len(set(_masters(engine).values())) == 1
    # The register's record (the group's first) is deleted: the cards stay one person.
    _run(engine, {"health_insurance": more})
    incremental = _masters(engine)
    _run(engine, {"health_insurance": more}, full=True)
    assert _partition(incremental) == _partition(_masters(engine))
    assert len(set(incremental.values())) == 1


def test_each_level_of_a_comparison_has_its_own_weight() -> None:
    # A pair's evidence names the level each comparison reached from its weight.
    for name, labels in level_labels(SPEC).items():
        comparison = next(c for c in SPEC.comparisons if c["output_column_name"] == name)
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        assert len(labels) == len(levels) + 1, name  # and the null level, at 0
    assert sounds_like_all(["Xuân", "Suân"]) and sounds_like_all(["Giang", "Dang", "Rang"])
    assert not sounds_like_all(["Nguyễn", "Luyễn"])  # ng is not n


def sounds_like_all(names: list[str]) -> bool:
    frame = pl.DataFrame({"name": names}).select(sounds_like(fold_expr(pl.col("name"))))
    return frame.n_unique() == 1


def test_day_and_month_swapped_on_a_card_without_id(engine: Engine) -> None:
    citizens = citizen_frame(
        [
            ("033185000071", "Vũ Thị Hằng", "2", "1985-03-07"),
            ("033185000072", "Vũ Thị Hằng", "2", "1985-05-07"),  # a namesake, born that year
        ]
    )
    cards = _cards([("GD4333300000071", None, "VU THI HANG", "1985-07-03")])
    _run(engine, {"citizen": citizens, "health_insurance": cards})
    masters = _masters(engine)
    assert masters[("health_insurance", "GD4333300000071")] == masters[("citizen", "033185000071")]
    assert masters[("citizen", "033185000072")] != masters[("citizen", "033185000071")]
