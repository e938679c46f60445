"""Ground truth: which rows of each written file must be quarantined, and which rows are the
same real person or business (the format is documented in docs/sample.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRUTH_FILE = "truth.json"


@dataclass
class SourceFile:
    """The rows of one file before writing, column by column, with what is true of each row.

    ``entity`` names the real person or business a row describes (None for rows that describe
    nobody new, such as repeated keys); ``invalid`` maps a 0-based row index to finding codes.
    """

    name: str
    standard: str
    columns: dict[str, list[Any]]
    entity: list[str | None]
    mapping: str | None = None
    invalid: dict[int, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entity)

    def mark(self, index: int, *codes: str) -> None:
        found = self.invalid.setdefault(index, [])
        found.extend(c for c in codes if c not in found)

    def take(self, order: list[int], entity: list[str | None]) -> None:
        """Rebuild the rows in ``order`` (indices may repeat), keeping invalid marks."""
        self.columns = {k: [v[i] for i in order] for k, v in self.columns.items()}
        remap: dict[int, list[str]] = {}
        for new, old in enumerate(order):
            if old in self.invalid and new not in remap:
                remap[new] = list(self.invalid[old])
        self.invalid = remap
        self.entity = entity


def truth_document(
    *, seed: int, province: str, persons: int, generated_at: str, files: list[SourceFile]
) -> dict[str, Any]:
    """The truth.json document. Rows are 1-based; entities list only rows that load."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for source in files:
        for index, entity in enumerate(source.entity):
            if entity is not None and index not in source.invalid:
                groups[entity].append({"file": source.name, "row": index + 1})
    entities = [
        {"id": eid, "kind": "person" if eid.startswith("P") else "business", "records": recs}
        for eid, recs in sorted(groups.items())
    ]
    return {
        "seed": seed,
        "province": province,
        "persons": persons,
        "generated_at": generated_at,
        "files": {
            source.name: {
                "standard": source.standard,
                "mapping": source.mapping,
                "rows": len(source),
                "invalid": {
                    str(index + 1): sorted(codes) for index, codes in sorted(source.invalid.items())
                },
            }
            for source in files
        },
        "entities": entities,
    }


def _entity_line(entity: dict[str, Any]) -> str:
    """One entity as JSON, formatted directly (ids, kinds and file names need no escaping;
    json.dumps per entity was the slowest step for large provinces)."""
    records = ", ".join(f'{{"file": "{r["file"]}", "row": {r["row"]}}}' for r in entity["records"])
    return f'  {{"id": "{entity["id"]}", "kind": "{entity["kind"]}", "records": [{records}]}}'


def dumps_truth(document: dict[str, Any]) -> str:
    """JSON with one line per file and per entity: readable, diffable, and compact."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    head = [f" {one(k)}: {one(document[k])}" for k in document if k not in ("files", "entities")]
    files = [f"  {one(name)}: {one(spec)}" for name, spec in document["files"].items()]
    entities = [_entity_line(e) for e in document["entities"]]
    return (
        "{\n"
        + ",\n".join(head)
        + ',\n "files": {\n'
        + ",\n".join(files)
        + '\n },\n "entities": [\n'
        + ",\n".join(entities)
        + "\n ]\n}\n"
    )


def write_truth(out_dir: Path, document: dict[str, Any]) -> Path:
    path = out_dir / TRUTH_FILE
    path.write_text(dumps_truth(document), encoding="utf-8")
    return path


def read_truth(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
