"""Clustering accepted links into master entities without chaining through weak links.

Links are merged strongest first (accepted review decisions, then identifier matches, then
probabilistic links by weight). A merge is refused when it would put two different trusted
identifiers, or a pair an operator rejected, into one entity — unless a strong link joins
identifiers one keying slip apart (a digit wrong, two neighbours swapped), where the name, birth
date and commune must carry the weight; a weak link (below the strong
weight) may only attach a record that is still on its own, so two groups are never chained
together by one uncertain pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from lienthong.linkage.spec import LinkSpec

SLIP_MIN_LENGTH = 9  # an old CMND; a personal ID has 12 digits


def one_slip(a: str, b: str) -> bool:
    """Two identifiers of one length (nine characters or more) that differ by one digit or by
    two neighbours swapped."""
    if len(a) != len(b) or len(a) < SLIP_MIN_LENGTH:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


def _compatible(left: set[str], right: set[str], *, strong: bool) -> bool:
    """Whether two groups' trusted identifiers may meet in one entity: the same, or (through a
    strong link only) every identifier of one group one keying slip from one of the other's —
    a register's ID and two cards typed with different slips of it are one person."""
    if not left or not right or left == right:
        return True

    def near(a: str, others: set[str]) -> bool:
        return any(a == b or one_slip(a, b) for b in others)

    return strong and (all(near(a, right) for a in left) or all(near(b, left) for b in right))


class _Components:
    def __init__(self, trusted: Sequence[str | None]) -> None:
        self.parent = list(range(len(trusted)))
        self.size = [1] * len(trusted)
        self.ids: list[set[str]] = [{t} if t else set() for t in trusted]
        self.cannot: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def forbid(self, a: int, b: int) -> None:
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def _forbidden(self, ra: int, rb: int) -> bool:
        for member, others in self.cannot.items():
            root = self.find(member)
            if root in (ra, rb):
                target = rb if root == ra else ra
                if any(self.find(o) == target for o in others):
                    return True
        return False

    def union(self, a: int, b: int, *, check_ids: bool, weak: bool) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if weak and self.size[ra] > 1 and self.size[rb] > 1:
            return False
        if check_ids and not _compatible(self.ids[ra], self.ids[rb], strong=not weak):
            return False
        if self.cannot and self._forbidden(ra, rb):
            return False
        if ra > rb:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.ids[ra] |= self.ids[rb]
        return True


def cluster(
    *,
    trusted: Sequence[str | None],
    pairs: pl.DataFrame,
    spec: LinkSpec,
    accepted: Iterable[tuple[int, int]] = (),
    rejected: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """The entity of each record, named by its lowest record index."""
    components = _Components(trusted)
    for a, b in rejected:
        components.forbid(a, b)
    for a, b in sorted(accepted):
        components.union(a, b, check_ids=False, weak=False)
    links = pairs.filter(pl.col("match_weight") >= spec.accept_weight).sort(
        ["match_weight", "uid_l", "uid_r"], descending=[True, False, False]
    )
    rivals = _candidates(pairs, spec)
    for a, b, weight in links.select("uid_l", "uid_r", "match_weight").iter_rows():
        weak = weight < spec.strong_weight
        if weak and _ambiguous(components, rivals, a, b, weight, spec.ambiguity_margin):
            continue
        components.union(a, b, check_ids=True, weak=weak)
    return [components.find(i) for i in range(len(trusted))]


def _candidates(pairs: pl.DataFrame, spec: LinkSpec) -> dict[int, list[tuple[int, float]]]:
    """Each record's weak candidates (pairs scored below the strong weight)."""
    out: dict[int, list[tuple[int, float]]] = {}
    weak = pairs.filter(pl.col("match_weight") < spec.strong_weight)
    for a, b, weight in weak.select("uid_l", "uid_r", "match_weight").iter_rows():
        out.setdefault(a, []).append((b, weight))
        out.setdefault(b, []).append((a, weight))
    return out


def _ambiguous(
    components: _Components,
    rivals: dict[int, list[tuple[int, float]]],
    a: int,
    b: int,
    weight: float,
    margin: float,
) -> bool:
    """Whether a weak link would attach a lone record to one of several people it could be:
    another of its candidates, in another group known by a trusted identifier, scores within
    ``margin`` of this one (three namesakes in a commune and a land row that knows only the
    name). Such a pair waits for a person instead."""
    for lone, partner in ((a, b), (b, a)):
        if components.size[components.find(lone)] != 1:
            continue
        target = components.find(partner)
        for other, other_weight in rivals.get(lone, ()):
            if other == partner or other_weight < weight - margin:
                continue
            root = components.find(other)
            if root != target and components.ids[root]:
                return True
    return False
