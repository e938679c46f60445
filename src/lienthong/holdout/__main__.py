"""``python -m lienthong.holdout --out DIR --persons N --seed S``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lienthong.holdout.generate import generate

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    out: Annotated[Path, typer.Option(help="Directory to write the files to.")],
    persons: Annotated[int, typer.Option(min=1, help="How many true persons.")] = 20_000,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same bytes.")] = 7,
) -> None:
    """Generate the hold-out linkage data set and print its manifest's row counts."""
    started = time.perf_counter()
    manifest = generate(out_dir=out, persons=persons, seed=seed)
    summary = {"out": str(out), "seconds": round(time.perf_counter() - started, 2)}
    typer.echo(json.dumps({**summary, "files": manifest.files}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(app())
