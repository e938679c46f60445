"""What every source does to a person's data when it writes a record: the name, the
personal ID, the commune and the birth date, each with the source's rate of mistakes.
Every mistake made is counted under its hard-case tag."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lienthong.holdout import noise
from lienthong.holdout.people import NONE, Persons
from lienthong.holdout.places import Province
from lienthong.holdout.rates import RecordRates

# Uniform draws a record uses, by position in its row of draws.
U_STRIP, U_ORDER, U_KIND, U_TOKEN, U_CAPS, U_SPACE, U_NFD = range(7)
U_ID_MISSING, U_ID_OLD, U_ID_ERROR, U_STALE, U_PRE2025, U_SWAP, U_BIRTH = range(7, 14)
DRAWS = 14


class Chunk:
    """A run of records' persons, read out of the numpy columns once."""

    def __init__(self, persons: Persons, rows: np.ndarray) -> None:
        listed = rows.tolist()
        self.rows = rows
        self.entity = [persons.entity_id(r) for r in listed]
        self.name = [persons.full_name(r) for r in listed]
        self.pid = [f"{v:012d}" for v in persons.pid[rows].tolist()]
        self.old_id = persons.old_id[rows].tolist()
        self.home = persons.home[rows].tolist()
        self.former = persons.former[rows].tolist()
        self.female = persons.female[rows].tolist()
        dob = persons.dob[rows]
        year = dob.astype("datetime64[Y]")
        month = dob.astype("datetime64[M]")
        self.year = (year.astype(np.int64) + 1970).tolist()
        self.month = ((month - year.astype("datetime64[M]")).astype(np.int64) + 1).tolist()
        self.day = ((dob - month.astype("datetime64[D]")).astype(np.int64) + 1).tolist()

    def __len__(self) -> int:
        return len(self.entity)


@dataclass
class Clerk:
    """Writes one source's fields, making that source's mistakes at its rates."""

    rates: RecordRates
    province: Province
    taken: Callable[[str], bool]  # whether a 12-digit value is some person's correct ID
    tags: Counter[str]

    def name(self, tokens: list[str], u: list[float], rng: np.random.Generator) -> str:
        r = self.rates.name
        tokens = list(tokens)
        strip = u[U_STRIP] < r.no_diacritics and not all(t.isascii() for t in tokens)
        if u[U_ORDER] < r.reversed:
            tokens = [tokens[-1], *tokens[:-1]]
            self.tags["name_reversed"] += 1
        elif u[U_ORDER] < r.reversed + r.typo:
            kind = noise.TYPO_KINDS[int(u[U_KIND] * len(noise.TYPO_KINDS))]
            if strip and kind == "tone":
                kind = "substitute"  # the tone would be stripped again
            self._typo(tokens, kind, u[U_TOKEN], rng)
        text = " ".join(tokens)
        if strip:
            text = noise.strip_diacritics(text)
            self.tags["name_no_diacritics"] += 1
        if u[U_CAPS] < r.all_caps:
            text = text.upper()
            self.tags["name_all_caps"] += 1
        if u[U_SPACE] < r.whitespace:
            text = noise.whitespace(text, rng)
            self.tags["name_whitespace"] += 1
        if u[U_NFD] < r.nfd:
            decomposed = unicodedata.normalize("NFD", text)
            if decomposed != text:
                text = decomposed
                self.tags["name_nfd"] += 1
        return text

    def _typo(self, tokens: list[str], kind: str, u: float, rng: np.random.Generator) -> None:
        # Mostly the given name, else the family name, else a middle name.
        given, middles = len(tokens) - 1, list(range(1, len(tokens) - 1))
        first = given if u < 0.6 else 0 if u < 0.8 else middles[int((u - 0.8) * 5 * len(middles))]
        order = [first] + [i for i in (given, 0, *middles) if i != first]
        for i in order:
            if noise.can_typo(tokens[i], kind):
                tokens[i] = noise.typo(tokens[i], kind, rng)
                self.tags["name_typo"] += 1
                self.tags[f"name_typo_{kind}"] += 1
                return

    def personal_id(self, pid: str, old_id: int, u: list[float], rng: np.random.Generator) -> str:
        r = self.rates
        if u[U_ID_MISSING] < r.id_missing:
            self.tags["id_missing"] += 1
            return ""
        if old_id != NONE and u[U_ID_OLD] < r.id_old_cmnd:
            self.tags["id_old_cmnd"] += 1
            return f"{old_id:09d}"
        x = u[U_ID_ERROR]
        kind = "transposed" if x < r.id_transposed else None
        if kind is None and x < r.id_transposed + r.id_wrong_digit:
            kind = "wrong_digit"
        if kind is None:
            return pid
        wrong = noise.corrupt_id(pid, kind, rng, self.taken)
        if wrong is None:
            return pid
        self.tags[f"id_{kind}"] += 1
        return wrong

    def commune(self, home: int, former: int, u: list[float]) -> str:
        """The commune as the source has it: a mover's former one where it was never
        updated, a pre-2025 code where it was registered before the reform."""
        communes = self.province.communes
        home_code = communes[home].code
        stale = former != NONE and u[U_STALE] < self.rates.stale_commune_if_moved
        commune = communes[former] if stale else communes[home]
        code = commune.code
        rate = self.rates.commune_pre2025
        if u[U_PRE2025] < rate:
            options = [
                c
                for c in commune.older_codes
                if not stale or home_code not in self.province.successors_of(c)
            ]
            if options:
                code = options[int(u[U_PRE2025] / rate * len(options))]
        if code not in self.province.codes_2025:
            self.tags["commune_pre2025"] += 1
        if home_code not in self.province.successors_of(code):
            self.tags["commune_moved"] += 1
        return code

    def birth_date(self, year: int, month: int, day: int, u: list[float]) -> tuple[int, int, int]:
        """The date of birth, its day and month swapped now and then (only where that still
        makes a date and changes it)."""
        if u[U_SWAP] < self.rates.day_month_swapped and day <= 12 and month <= 12 and day != month:
            self.tags["dob_day_month_swapped"] += 1
            return year, day, month
        return year, month, day


CHUNK = 20_000  # records rendered and written at a time


def stream(seed: int, *keys: int) -> np.random.Generator:
    """An independent random stream for one stage (and chunk) of one run."""
    return np.random.default_rng([seed, *keys])


def chunks(rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The record slots cut into numbered runs of ``CHUNK``."""
    return [(i, rows[start : start + CHUNK]) for i, start in enumerate(range(0, len(rows), CHUNK))]


def draws(rng: np.random.Generator, n: int) -> list[list[float]]:
    """One row of uniform draws per record."""
    return rng.random((n, DRAWS)).tolist()
