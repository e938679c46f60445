"""The same linkage specification on Splink's Spark backend (local mode) gives what DuckDB gives:
the same pairs with the same weights, the same masters, the same review items, on the
hold-out generator's files loaded through the ingest."""

from __future__ import annotations

import importlib.util
import os
import random
import shlex
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import session_factory
from lienthong.holdout import generate
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import service
from lienthong.linkage.engine import UNTRUSTED_GUARD
from lienthong.linkage.models import Link, Pair, Review
from lienthong.linkage.runs import store_frames
from lienthong.linkage.scoring import (
    DUCKDB,
    Backend,
    SparkBackend,
    backend_for,
    jaro_winkler_similarity,
)
from lienthong.linkage.spec import load_spec
from tests.ingest.factories import register_system
from tests.linkage.factories import ID_KEY
from tests.linkage.test_holdout import FILES, MAPPINGS

HAS_JAVA = bool(os.environ.get("JAVA_HOME") or shutil.which("java"))
needs_spark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or not HAS_JAVA,
    reason="needs the spark extra (pip install -e '.[spark]') and a Java runtime",
)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkBackend]:
    # A short run on a small table: the JVM's quick compiler and no adaptive re-planning start
    # it sooner (about a third off the first run here).
    quick = {
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        "spark.sql.adaptive.enabled": "false",
    }
    backend = SparkBackend(
        master="local[2]", scratch_dir=tmp_path_factory.mktemp("spark"), conf=quick
    )
    yield backend
    backend.stop()


def _link(engine: Engine, backend: Backend) -> dict[str, Any]:
    """Link the store's persons on ``backend`` and read what came out; then roll back, so the
    next backend links the same records afresh."""
    session = session_factory(engine)()
    session.begin()
    try:
        summary = service.link(
            session=session,
            kind="person",
            frames=store_frames(session=session, kind="person"),
            id_key=ID_KEY,
            backend=backend,
        )
        members: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for link in session.scalars(select(Link).where(Link.kind == "person")):
            members[link.master_id].add((link.dataset, link.record_key))
        pairs = {
            (p.left_dataset, p.left_key, p.right_dataset, p.right_key): (
                round(p.match_weight, 9),
                p.match_kind,
                p.evidence,
            )
            for p in session.scalars(select(Pair).where(Pair.kind == "person"))
        }
        reviews = [
            (r.left_dataset, r.left_key, r.right_dataset, r.right_key, round(r.match_weight, 9))
            for r in session.scalars(
                select(Review).where(Review.kind == "person").order_by(Review.id)
            )
        ]
    finally:
        session.rollback()
        session.close()
    partition = {frozenset(group) for group in members.values()}
    return {"summary": summary, "partition": partition, "pairs": pairs, "reviews": reviews}


@needs_spark
def test_spark_links_the_holdout_as_duckdb_does(
    engine: Engine, settings: Settings, backend: str, spark: SparkBackend, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("where pairs are scored does not depend on the store: the SQLite run checks")
    generate(out_dir=tmp_path, persons=300, seed=11)
    system = register_system(engine, settings)
    for name, standard in FILES.items():
        mapping = MAPPINGS / name.replace(".csv", ".json")
        request = IngestRequest(
            path=tmp_path / name, standard=standard, system=system, mapping=mapping
        )
        ingest_file(engine=engine, settings=settings, request=request)

    on_duckdb = _link(engine, DUCKDB)
    on_spark = _link(engine, spark)

    assert on_duckdb["summary"].comparisons > 100
    assert len(on_duckdb["partition"]) < on_duckdb["summary"].records  # some records merged
    assert on_duckdb["reviews"], "the hold-out has pairs in the review band"
    assert on_spark["summary"] == on_duckdb["summary"]
    assert on_spark["pairs"] == on_duckdb["pairs"]
    assert on_spark["partition"] == on_duckdb["partition"]
    assert on_spark["reviews"] == on_duckdb["reviews"]


def test_the_settings_choose_the_backend(tmp_path: Path) -> None:
    chosen = backend_for(Settings(environment="test", data_dir=tmp_path))
    assert chosen is DUCKDB
    spark = backend_for(
        Settings(
            environment="test",
            data_dir=tmp_path,
            linkage_backend="spark",
            spark_master="spark://head:7077",
            spark_conf={"spark.executor.memory": "16g"},
        )
    )
    assert isinstance(spark, SparkBackend)
    properties = spark.properties("/opt/splink/similarity.jar")
    assert properties["spark.jars"] == "/opt/splink/similarity.jar"
    assert properties["spark.executor.memory"] == "16g"
    assert properties["spark.ui.enabled"] == "false"
    assert properties["spark.local.dir"] == str((tmp_path / "spark" / "local").resolve())
    # A cluster keeps Spark's own shuffle width; only local mode narrows it.
    assert "spark.sql.shuffle.partitions" not in properties


def test_the_documented_cluster_command_configures_spark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings of linkage.md's cluster example, read as the command would read them."""
    text = (Path(__file__).parents[2] / "docs" / "linkage.md").read_text("utf-8")
    block = text.split("**On a cluster**", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    words = shlex.split(block.replace("\\\n", " "))
    assignments = [w for w in words if w.startswith("LIENTHONG_")]
    assert words[len(assignments) :] == [
        ".venv/bin/lienthong",
        "linkage",
        "relink",
        "--kind",
        "person",
    ]
    for assignment in assignments:
        name, value = assignment.split("=", 1)
        monkeypatch.setenv(name, value)
    chosen = backend_for(Settings(environment="test", data_dir=tmp_path))
    assert isinstance(chosen, SparkBackend)
    assert chosen.master == "spark://spark-head:7077"
    assert chosen.checkpoint_dir == "hdfs:///lienthong/linkage-checkpoints"
    properties = chosen.properties("splink.jar")
    assert properties["spark.driver.memory"] == "32g"
    assert properties["spark.sql.shuffle.partitions"] == "2000"


@pytest.mark.parametrize("kind", ["person", "business"])
def test_the_specification_is_written_in_spark_sql(kind: str) -> None:
    """Every rule and level, in Spark's SQL: DuckDB's own function names are gone and each
    reads back as Spark SQL. Only the functions are renamed: DuckDB's text is unchanged."""
    spec = load_spec(kind)
    on_duckdb = spec.settings(guard=UNTRUSTED_GUARD[kind])
    on_spark = spec.settings(guard=UNTRUSTED_GUARD[kind], dialect="spark")
    assert on_duckdb["comparisons"] == spec.comparisons
    conditions = [
        level["sql_condition"]
        for comparison in on_spark["comparisons"]
        for level in comparison["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    ] + on_spark["blocking_rules_to_generate_predictions"]
    text = " ".join(conditions).lower()
    for duckdb_only in ("jarowinkler", " jaro_winkler", "list_has_any", "array_length", "&&"):
        assert duckdb_only not in text
    assert "arrays_overlap(communes_l, communes_r)" in text
    assert "duckdb_jaro_winkler_similarity(" in text
    for sql in conditions:
        sqlglot.parse_one(sql, read="spark")


def test_sparks_jaro_winkler_is_duckdbs() -> None:
    """The function Spark is given for ``jaro_winkler_similarity`` against DuckDB's own, on
    names and on random strings over a small alphabet (many transpositions)."""
    rng = random.Random(3)
    words = [
        ("thi phuong", "thi ngoc"),
        ("nguyen", "nguyễn"),
        ("martha", "marhta"),
        ("", "a"),
        ("a", "a"),
    ]
    words += [
        tuple("".join(rng.choice("abcdh ") for _ in range(rng.randint(0, 12))) for _ in "lr")
        for _ in range(2000)
    ]
    with duckdb.connect() as connection:
        for left, right in words:
            expected = connection.execute(
                "SELECT jaro_winkler_similarity(?, ?)", [left, right]
            ).fetchone()
            assert expected is not None
            assert jaro_winkler_similarity(left, right) == pytest.approx(expected[0], abs=1e-12)
    assert jaro_winkler_similarity(None, "a") is None
