"""``lienthong sample``: write a synthetic province's sector files and their ground truth."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from lienthong.sample.generate import (
    DEFAULT_PERSONS,
    DEFAULT_PROVINCE,
    DEFAULT_SEED,
    generate_province,
)
from lienthong.sample.mess import DEFAULT_NOISE
from lienthong.terminal import print_json, print_table


def sample_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into")],
    persons: Annotated[int, typer.Option(help="Number of persons", min=1)] = DEFAULT_PERSONS,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes)")] = DEFAULT_SEED,
    province: Annotated[str, typer.Option(help="2025 province code")] = DEFAULT_PROVINCE,
    noise: Annotated[
        float, typer.Option(help="Noise level: share of rows made messy (0 to 0.5)")
    ] = DEFAULT_NOISE,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Generate a synthetic province: sector exports with realistic mess and truth.json."""
    summary = generate_province(out, persons=persons, seed=seed, noise=noise, province=province)
    if json:
        print_json(asdict(summary))
        return
    print_table(
        f"Synthetic province {summary.province}: {summary.persons} persons, seed {summary.seed}",
        ["file", "standard", "rows", "invalid", "mapping"],
        [(f.name, f.standard, f.rows, f.invalid, f.mapping or "") for f in summary.files],
    )
    typer.echo(f"truth: {summary.truth} ({summary.entities} entities, {summary.seconds} s)")
