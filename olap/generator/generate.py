"""The generate() entry point: catalog files plus JSONL parts of Torus statements, with exact counts."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from olap.core.errors import UserInputError
from olap.generator.catalog import build_catalog
from olap.generator.output import PartWriter, open_destination
from olap.generator.simulation import KINDS, Simulation, day_weights, split_budget

logger = logging.getLogger(__name__)

DEFAULT_START = date(2026, 1, 12)
DEFAULT_LINES_PER_FILE = 100_000
CATALOG_FILES = ("projects.json", "sections.json", "resources.json")
# Lines handed to the part writer at a time.
BATCH_LINES = 500
# Offset between the main seed and the seed of the duplicate positions, so that changing
# the duplicate share leaves the statements themselves unchanged.
DUPLICATE_SEED_OFFSET = 0x5EED


@dataclass
class GenerationSummary:
    """Counts of one generate() call, all exact.

    lines = statements + duplicates. `kinds` counts statements (without duplicate copies)
    per kind and sums to `statements`; its "voiding" entry is the voiding statements.
    Each voiding statement voids a different earlier statement, so `voided` = `voiding`.
    """

    out: str
    seed: int
    start: str
    end: str
    lines: int = 0
    statements: int = 0
    duplicates: int = 0
    with_id: int = 0
    voiding: int = 0
    voided: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    catalog_files: list[str] = field(default_factory=list)
    projects: int = 0
    sections: int = 0
    students: int = 0
    pages: int = 0
    activities: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _validate(projects: int, sections: int, students: int, events: int, weeks: int, files: int | None, lines_per_file: int | None, shares: dict[str, float]) -> None:
    if projects < 1:
        raise UserInputError(f"projects={projects} is invalid; give at least 1 project.")
    if sections < projects:
        raise UserInputError(f"sections={sections} is fewer than projects={projects}; every project needs a section.")
    if students < 1:
        raise UserInputError(f"students={students} is invalid; give at least 1 student.")
    if events < 0:
        raise UserInputError(f"events={events} is negative; give 0 or more statements.")
    if weeks < 1:
        raise UserInputError(f"weeks={weeks} is invalid; a term lasts at least 1 week.")
    if files is not None and lines_per_file is not None:
        raise UserInputError("files and lines_per_file are both set; give one of them.")
    if files is not None and files < 1:
        raise UserInputError(f"files={files} is invalid; give at least 1 file.")
    if lines_per_file is not None and lines_per_file < 1:
        raise UserInputError(f"lines_per_file={lines_per_file} is invalid; give at least 1 line per file.")
    for name, share in shares.items():
        if not 0.0 <= share <= 1.0:
            raise UserInputError(f"{name}={share} is invalid; a share lies between 0 and 1.")


def generate(
    out: str | Path,
    *,
    projects: int = 2,
    sections: int = 6,
    students: int = 300,
    events: int = 500_000,
    seed: int = 1,
    start: date = DEFAULT_START,
    weeks: int = 15,
    gzip: bool = False,
    files: int | None = None,
    lines_per_file: int | None = None,
    id_share: float = 0.02,
    void_share: float = 0.1,
    duplicate_share: float = 0.005,
) -> GenerationSummary:
    """Write `events` Torus statements as JSONL parts, and the catalog files, to `out`.

    `out` is a folder or an `s3://bucket/prefix` URL. `events` counts statements, voiding
    ones included; on top of them round(events * duplicate_share) lines repeat the line
    before them, as a retrying producer would. `files` splits the lines into exactly that
    many parts (fewer when there are fewer lines than files); otherwise each part contains
    `lines_per_file` lines (default DEFAULT_LINES_PER_FILE). A share `id_share` of the
    statements carry a UUID `id`, and a share `void_share` of those are voided later in
    the same session. The same arguments give the same bytes.
    """
    _validate(projects, sections, students, events, weeks, files, lines_per_file, {"id_share": id_share, "void_share": void_share, "duplicate_share": duplicate_share})
    began = time.perf_counter()
    destination = open_destination(out)
    rng = random.Random(seed)
    catalog = build_catalog(rng, projects, sections, students, start, weeks)
    summary = GenerationSummary(str(out), seed, start.isoformat(), (start + timedelta(days=weeks * 7 - 1)).isoformat())
    summary.projects, summary.sections, summary.students = projects, sections, students
    summary.pages = sum(len(project.pages) for project in catalog.projects)
    summary.activities = sum(len(page.activities) for project in catalog.projects for page in project.pages)

    for name, rows in zip(CATALOG_FILES, catalog.import_documents().values()):
        destination.put(name, (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        summary.catalog_files.append(destination.location(name))

    duplicates = round(events * duplicate_share)
    duplicate_at = duplicate_positions(random.Random(seed + DUPLICATE_SEED_OFFSET), events, duplicates)
    total_lines = events + duplicates
    boundaries = part_boundaries(total_lines, files, lines_per_file or DEFAULT_LINES_PER_FILE)
    simulation = Simulation(rng, catalog, id_share, void_share)
    writer = PartWriter(destination, gzip)
    kinds = dict.fromkeys(KINDS, 0)
    next_duplicate = next(duplicate_at, -1)
    next_boundary = next(boundaries, -1)
    line_number = 0
    with_id = 0
    batch: list[str] = []

    try:
        for index, (kind, line, statement_id) in enumerate(simulation.run(split_budget(events, day_weights(weeks, start)))):
            kinds[kind] += 1
            if statement_id:
                with_id += 1
            copies = 1
            if index == next_duplicate:
                copies = 2
                next_duplicate = next(duplicate_at, -1)
            for _ in range(copies):
                if line_number == next_boundary:
                    writer.write_lines(batch)
                    batch = []
                    writer.next_part(timestamp_of(line))
                    next_boundary = next(boundaries, -1)
                batch.append(line)
                line_number += 1
            if len(batch) >= BATCH_LINES:
                writer.write_lines(batch)
                batch = []
        writer.write_lines(batch)
    finally:
        writer.close()

    summary.lines = line_number
    summary.statements = events
    summary.duplicates = duplicates
    summary.with_id = with_id
    summary.voiding = summary.voided = kinds["voiding"]
    summary.kinds = kinds
    summary.files = writer.parts
    summary.seconds = round(time.perf_counter() - began, 3)
    logger.info("generate: %d lines (%d duplicates) in %d files to %s in %.1f s", summary.lines, duplicates, len(writer.parts), out, summary.seconds)
    return summary


def duplicate_positions(rng: random.Random, statements: int, duplicates: int):
    """Indexes of the statements written twice: one random index in each of `duplicates` equal blocks."""
    for block in range(duplicates):
        first = block * statements // duplicates
        after = (block + 1) * statements // duplicates
        yield first + rng.randrange(after - first)


def part_boundaries(total_lines: int, files: int | None, lines_per_file: int):
    """Line numbers (0-based) at which a new part starts."""
    if files is not None:
        parts = min(files, total_lines)
        for part in range(parts):
            yield part * total_lines // parts
        return
    yield from range(0, total_lines, lines_per_file)


def timestamp_of(line: str) -> str:
    """Return the `timestamp` value of a generated line, read without parsing the JSON."""
    marker = '"timestamp":"'
    position = line.index(marker) + len(marker)
    return line[position : line.index('"', position)]
