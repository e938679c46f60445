"""One generated data set per test session (20,000 persons, seed 7), timed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from lienthong.holdout import generate
from tests.holdout.dataset import DataSet, load

PERSONS = 20_000
SEED = 7


@dataclass(frozen=True)
class Generated:
    data: DataSet
    seconds: float


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out: Path = tmp_path_factory.mktemp("holdout")
    started = time.perf_counter()
    generate(out_dir=out, persons=PERSONS, seed=SEED)
    seconds = time.perf_counter() - started
    return Generated(data=load(out), seconds=seconds)


@pytest.fixture(scope="session")
def data(generated: Generated) -> DataSet:
    return generated.data
