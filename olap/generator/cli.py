"""The `olap generate` command; olap.core.cli registers `generate_command` on the main group."""

from __future__ import annotations

import json
from datetime import datetime

import click

from olap.generator.generate import DEFAULT_START, generate


@click.command("generate")
@click.option("--out", required=True, help="Folder, or s3://bucket/prefix, to write the JSONL parts and catalog files to.")
@click.option("--projects", type=click.IntRange(min=1), default=2, show_default=True, help="Number of projects (courses).")
@click.option("--sections", type=click.IntRange(min=1), default=6, show_default=True, help="Number of course sections, dealt to projects in turn.")
@click.option("--students", type=click.IntRange(min=1), default=300, show_default=True, help="Number of students, each enrolled in one section.")
@click.option("--events", type=click.IntRange(min=0), default=500_000, show_default=True, help="Number of statements, voiding ones included and duplicate lines not.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; the same seed and options give the same bytes.")
@click.option("--gzip", "gzip_parts", is_flag=True, help="Write gzip-compressed .jsonl.gz parts.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=DEFAULT_START.isoformat(), show_default=True, help="First day of the term, YYYY-MM-DD.")
@click.option("--weeks", type=click.IntRange(min=1), default=15, show_default=True, help="Length of the term in weeks.")
@click.option("--files", type=click.IntRange(min=1), default=None, help="Split the lines into this many parts.")
@click.option("--lines-per-file", type=click.IntRange(min=1), default=None, help="Lines per part when --files is not given (default 100000).")
def generate_command(out, projects, sections, students, events, seed, gzip_parts, start: datetime, weeks, files, lines_per_file) -> None:
    """Generate OLI Torus xAPI statements and catalog import files, then print a JSON summary."""
    summary = generate(
        out,
        projects=projects,
        sections=sections,
        students=students,
        events=events,
        seed=seed,
        start=start.date(),
        weeks=weeks,
        gzip=gzip_parts,
        files=files,
        lines_per_file=lines_per_file,
    )
    click.echo(json.dumps(summary.as_dict(), indent=2))
