"""Clustering accepted links into master entities without chaining through weak links.

Links are merged strongest first (accepted review decisions, then identifier matches, then
probabilistic links by weight). A merge is refused when it would put two different trusted
identifiers, or a pair an operator rejected, into one entity; a weak link (below the strong
weight) may only attach a record that is still on its own, so two groups are never chained
together by one uncertain pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from lienthong.linkage.spec import LinkSpec


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
        if check_ids and self.ids[ra] and self.ids[rb] and self.ids[ra] != self.ids[rb]:
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
    for a, b, weight in links.select("uid_l", "uid_r", "match_weight").iter_rows():
        components.union(a, b, check_ids=True, weak=weight < spec.strong_weight)
    return [components.find(i) for i in range(len(trusted))]
