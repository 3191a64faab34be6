"""Generated data sets shared by the generator tests, and helpers to read them back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from olap.generator import GenerationSummary, generate

OLI = "http://oli.cmu.edu/extensions/"
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


def read_part(path: Path) -> list[bytes]:
    """Lines of one part file, gzip or plain, without their newlines."""
    content = path.read_bytes()
    if path.name.endswith(".gz"):
        content = gzip.decompress(content)
    assert content.endswith(b"\n"), f"{path} does not end with a newline"
    return content[:-1].split(b"\n")


def read_all_lines(summary: GenerationSummary) -> list[bytes]:
    """Every line of every part, in the order the parts were written."""
    lines: list[bytes] = []
    for part in summary.files:
        lines.extend(read_part(Path(part["location"])))
    return lines


def kind_of(statement: dict) -> str:
    """The generator's kind name of a parsed statement, from its verb and object type."""
    verb = statement["verb"]["id"]
    if verb == VOIDED_VERB:
        return "voiding"
    if verb.startswith("https://w3id.org/xapi/video/verbs/"):
        return "video_" + verb.rsplit("/", 1)[1]
    if verb == "http://id.tincanapi.com/verb/viewed":
        return "page_viewed"
    object_type = statement["object"]["definition"]["type"]
    return {
        "http://adlnet.gov/expapi/activities/question": "part_attempt",
        OLI + "activity_attempt": "activity_attempt",
        OLI + "page_attempt": "page_attempt",
    }[object_type]


@pytest.fixture(scope="session")
def term_set(tmp_path_factory) -> tuple[GenerationSummary, list[bytes]]:
    """A 30,000-statement term of 8 weeks in parts of 7,000 lines, and its lines."""
    summary = generate(tmp_path_factory.mktemp("term"), projects=2, sections=4, students=120, events=30_000, seed=7, weeks=8, lines_per_file=7000)
    return summary, read_all_lines(summary)


@pytest.fixture(scope="session")
def parsed_term_set(term_set) -> list[dict]:
    return [json.loads(line) for line in term_set[1]]
