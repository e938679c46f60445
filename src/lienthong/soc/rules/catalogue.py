"""The rules the platform ships (the starter set, package data) and reading rule files."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from lienthong.soc.rules.sigma import Rule, check_unique, load_file, load_text

STARTER = "starter"


@cache
def starter_rules() -> tuple[Rule, ...]:
    """Every rule of ``src/lienthong/soc/rules/starter/*.yml``, in file order."""
    folder = resources.files("lienthong.soc.rules") / STARTER
    rules: list[Rule] = []
    for item in sorted(folder.iterdir(), key=lambda f: f.name):
        if item.name.endswith(".yml"):
            rules += load_text(item.read_text(encoding="utf-8"), source=f"{STARTER}/{item.name}")
    check_unique(rules)
    return tuple(rules)


def rules_from(paths: list[Path]) -> list[Rule]:
    """Rules read from files (``lienthong soc rules test --file``)."""
    rules: list[Rule] = []
    for path in paths:
        rules += load_file(path)
    check_unique(rules)
    return rules


def emitting(rules: tuple[Rule, ...] | list[Rule]) -> list[Rule]:
    """The rules that raise detections: not the base rules only correlations count."""
    referenced = {r for rule in rules if rule.window for r in rule.window.rules}
    return [r for r in rules if r.id not in referenced]
