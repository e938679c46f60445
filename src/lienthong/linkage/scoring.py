"""Where blocked pairs are scored: Splink on DuckDB inside this process (the default), or on
Spark.

The linkage specification is the same on both (``LinkSpec.settings(dialect=...)`` writes its SQL
for the engine); only the engine that runs Splink's SQL differs. Spark is an optional extra
(``pip install 'lienthong[spark]'``) for registers that outgrow one machine: blocking and
comparison run on Spark's executors (Spark SQL, the jar of similarity functions Splink ships, and
DuckDB's Jaro–Winkler in Python); the kept pairs come back to this process, which clusters them
and writes the masters.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import polars as pl
import pyarrow as pa
import splink
from splink import DuckDBAPI
from splink.internals.database_api import DatabaseAPI
from splink.internals.splink_dataframe import SplinkDataFrame

from lienthong.config import Settings
from lienthong.linkage.spec import SPARK_JARO_WINKLER

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Of the predictions, what the engine keeps: the pair, its weight and each comparison's part.
KEPT_COLUMNS = re.compile(r"^(uid_l|uid_r|match_weight|mw_.*)$")
# Spark's driver logs errors only (its default prints warnings about this host on every start).
LOG4J = "log4j2.properties"
LOG4J_ERRORS = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def jaro_winkler_similarity(left: str | None, right: str | None) -> float | None:
    """DuckDB's ``jaro_winkler_similarity``, for Spark. The jar Splink ships halves the
    transpositions exactly; DuckDB rounds the half down, so the two disagree on some pairs
    (0.872 against 0.886 for "thi phuong" and "thi ngoc", either side of a 0.88 level). Matches:
    window of half the longer length less one; prefix of up to four, scaled by 0.1, added above
    0.7; an empty string is like nothing (tested against DuckDB)."""
    if left is None or right is None:
        return None
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    window = max(max(len(left), len(right)) // 2 - 1, 0)
    used = [False] * len(right)
    matched: list[str] = []
    for i, char in enumerate(left):
        for j in range(max(0, i - window), min(len(right), i + window + 1)):
            if not used[j] and right[j] == char:
                used[j] = True
                matched.append(char)
                break
    m = len(matched)
    if m == 0:
        return 0.0
    other = [c for c, u in zip(right, used, strict=True) if u]
    half = sum(a != b for a, b in zip(matched, other, strict=True)) // 2
    jaro = (m / len(left) + m / len(right) + (m - half) / m) / 3
    if jaro <= 0.7:
        return jaro
    prefix = 0
    for a, b in zip(left[:4], right[:4], strict=False):
        if a != b:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


class Scoring(Protocol):
    """One scoring run: its SQL dialect, tables handed to Splink, and the two reads the engine
    makes of the predictions table."""

    @property
    def dialect(self) -> str: ...

    def register(self, table: pa.Table, name: str) -> SplinkDataFrame: ...

    def count(self, table: str) -> int: ...

    def kept(self, table: str, threshold: float) -> pl.DataFrame: ...


class Backend(Protocol):
    def open(self) -> AbstractContextManager[Scoring]: ...


@dataclass
class _DuckDBScoring:
    connection: duckdb.DuckDBPyConnection
    api: DuckDBAPI
    dialect: str = "duckdb"

    def register(self, table: pa.Table, name: str) -> SplinkDataFrame:
        return self.api.register(table, dataset_display_name=name)

    def count(self, table: str) -> int:
        counted = self.connection.execute(f"SELECT count(*) FROM {table}").fetchall()  # noqa: S608
        return int(counted[0][0]) if counted else 0

    def kept(self, table: str, threshold: float) -> pl.DataFrame:
        arrow = self.connection.sql(
            f"SELECT COLUMNS('{KEPT_COLUMNS.pattern}') FROM {table} "  # noqa: S608
            "WHERE match_weight >= ?",
            params=[threshold],
        ).to_arrow_table()  # small: only the kept pairs (a relation: no extra copy)
        return _frame(arrow)


# DuckDB's memory for blocking and scoring; past it, DuckDB spills to a temporary folder
# (its default, 80 % of the machine, would leave nothing to the rest of the process).
DUCKDB_MEMORY_LIMIT = "2GB"


class DuckDBBackend:
    """An in-memory DuckDB database per run, closed at its end, spilling to a temporary
    folder past ``DUCKDB_MEMORY_LIMIT``."""

    @contextmanager
    def open(self) -> Iterator[Scoring]:
        with tempfile.TemporaryDirectory(prefix="lienthong-duckdb-") as spill:
            connection = duckdb.connect(
                config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": spill}
            )
            try:
                yield _DuckDBScoring(connection, DuckDBAPI(connection))
            finally:
                connection.close()


@dataclass
class _SparkScoring:
    spark: SparkSession
    api: DatabaseAPI[Any]
    dialect: str = "spark"

    def register(self, table: pa.Table, name: str) -> SplinkDataFrame:
        # Handed over as it is, the table would sit in every query plan as literal rows (each
        # plan copying them: the driver ran out of memory at 40,000 records); checkpointed, it
        # is a table held by the executors.
        frame = self.spark.createDataFrame(table).localCheckpoint(eager=True)
        return self.api.register(frame, dataset_display_name=name)

    def count(self, table: str) -> int:
        return int(self.spark.table(table).count())

    def kept(self, table: str, threshold: float) -> pl.DataFrame:
        predictions = self.spark.table(table)
        columns = [c for c in predictions.columns if KEPT_COLUMNS.match(c)]
        selected = predictions.where(predictions["match_weight"] >= threshold).select(*columns)
        return _frame(selected.toArrow())


@dataclass
class SparkBackend:
    """Splink's Spark backend. ``master`` is a Spark master URL (``local[2]``,
    ``spark://host:7077``, ``yarn``…); ``scratch_dir`` holds Spark's local files on this machine;
    ``checkpoint_dir``, when set (a path all executors reach: HDFS, S3, NFS), receives Splink's
    intermediate tables as Parquet instead of Spark's memory; ``conf`` adds Spark properties
    (memory, cores, …). The session starts on the first run and is kept for the next."""

    master: str = "local[2]"
    scratch_dir: Path = Path("data/spark")
    checkpoint_dir: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    _session: SparkSession | None = field(default=None, init=False, repr=False)

    def properties(self, jar: str) -> dict[str, str]:
        """The Spark properties the session starts with: nothing downloaded (``jar``, the
        similarity functions, is Splink's own), no web UI, temporary files under
        ``scratch_dir``, only errors logged. ``conf`` comes last and wins; JVM options in it
        are added to these."""
        scratch = self.scratch_dir.resolve()
        java = f"-Djava.io.tmpdir={scratch / 'tmp'} -Dlog4j2.configurationFile={scratch / LOG4J}"
        out = {
            "spark.jars": jar,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.local.dir": str(scratch / "local"),
            "spark.sql.warehouse.dir": str(scratch / "warehouse"),
            "spark.sql.session.timeZone": "UTC",
        }
        if self.master.startswith("local"):
            # Spark's 200 shuffle partitions are for a cluster; a few cores want a few.
            out["spark.sql.shuffle.partitions"] = "4"
            out["spark.default.parallelism"] = "4"
            # Python workers (the Jaro–Winkler function) run this interpreter.
            out["spark.pyspark.python"] = sys.executable
        more_java = self.conf.get("spark.driver.extraJavaOptions", "")
        return {**out, **self.conf, "spark.driver.extraJavaOptions": f"{java} {more_java}".strip()}

    def session(self) -> SparkSession:
        if self._session is None:
            # The optional extra: imported only when Spark is chosen.
            from pyspark import cloudpickle
            from pyspark.sql import SparkSession
            from splink.backends.spark import similarity_jar_location

            # The Jaro–Winkler function travels to the workers as code (it needs only Python's
            # builtins), so they need not have this package installed.
            cloudpickle.register_pickle_by_value(sys.modules[__name__])

            for name in ("local", "warehouse", "tmp"):
                (self.scratch_dir / name).mkdir(parents=True, exist_ok=True)
            (self.scratch_dir / LOG4J).write_text(LOG4J_ERRORS, "utf-8")
            builder = SparkSession.builder.master(self.master).appName("lienthong-linkage")
            for key, value in self.properties(similarity_jar_location()).items():
                builder = builder.config(key, value)
            self._session = builder.getOrCreate()
            if self.checkpoint_dir:
                self._session.sparkContext.setCheckpointDir(self.checkpoint_dir)
        return self._session

    @contextmanager
    def open(self) -> Iterator[Scoring]:
        # A session of its own per run (same Spark context): its temporary views and UDF
        # registrations go with it.
        spark = self.session().newSession()
        spark.udf.register(SPARK_JARO_WINKLER, jaro_winkler_similarity, "double")
        method = "parquet" if self.checkpoint_dir else "persist"
        api = splink.SparkAPI(spark_session=spark, break_lineage_method=method)
        try:
            yield _SparkScoring(spark, api)
        finally:
            for table in spark.catalog.listTables():
                if table.isTemporary:
                    spark.catalog.dropTempView(table.name)
            # Splink persists its intermediate tables; the cache is the context's, and a run
            # is over: nothing in it is needed again.
            spark.catalog.clearCache()

    def stop(self) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None


def _frame(arrow: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


DUCKDB = DuckDBBackend()


def backend_for(settings: Settings) -> Backend:
    """The backend ``settings`` choose (``LIENTHONG_LINKAGE_BACKEND``); one Spark backend per
    process and configuration, so its session is started once."""
    if settings.linkage_backend == "duckdb":
        return DUCKDB
    return _spark(
        settings.spark_master,
        settings.data_dir / "spark",
        settings.spark_checkpoint_dir,
        tuple(sorted(settings.spark_conf.items())),
    )


@cache
def _spark(
    master: str, scratch: Path, checkpoint: str | None, conf: tuple[tuple[str, str], ...]
) -> SparkBackend:
    return SparkBackend(
        master=master, scratch_dir=scratch, checkpoint_dir=checkpoint, conf=dict(conf)
    )
