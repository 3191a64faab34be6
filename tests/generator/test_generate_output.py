"""generate(): same seed same bytes, exact counts in the summary, part layout, argument checks, CLI."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from olap.core.errors import UserInputError
from olap.generator import generate
from olap.generator.cli import generate_command
from tests.generator.conftest import kind_of, read_all_lines


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("gzip_parts", [False, True], ids=["plain", "gzip"])
def test_same_seed_writes_same_bytes(tmp_path, gzip_parts):
    first = generate(tmp_path / "first", events=3000, students=40, seed=11, gzip=gzip_parts, lines_per_file=1000)
    second = generate(tmp_path / "second", events=3000, students=40, seed=11, gzip=gzip_parts, lines_per_file=1000)
    other = generate(tmp_path / "other", events=3000, students=40, seed=12, gzip=gzip_parts, lines_per_file=1000)

    assert tree_bytes(tmp_path / "first") == tree_bytes(tmp_path / "second")
    assert tree_bytes(tmp_path / "first") != tree_bytes(tmp_path / "other")
    assert first.kinds == second.kinds
    assert first.as_dict()["files"] == [{**part, "location": part["location"].replace("second", "first")} for part in second.as_dict()["files"]]


def test_summary_counts_match_lines(term_set, parsed_term_set):
    summary, lines = term_set

    assert summary.lines == len(lines)
    assert summary.lines == 30_000 + summary.duplicates
    assert summary.statements == 30_000
    assert summary.duplicates == round(30_000 * 0.005)
    assert sum(1 for previous, line in zip(lines, lines[1:]) if previous == line) == summary.duplicates
    assert len(set(lines)) == summary.statements

    distinct = [statement for index, statement in enumerate(parsed_term_set) if index == 0 or lines[index] != lines[index - 1]]
    assert Counter(kind_of(statement) for statement in distinct) == Counter({kind: count for kind, count in summary.kinds.items() if count})
    assert sum(summary.kinds.values()) == summary.statements
    assert sum(1 for statement in distinct if "id" in statement) == summary.with_id


def test_voiding_statements_void_earlier_statements(term_set, parsed_term_set):
    summary, _ = term_set
    seen_ids: set[str] = set()
    voided: list[str] = []

    for statement in parsed_term_set:
        if statement["verb"]["id"].endswith("/voided"):
            assert statement["object"]["objectType"] == "StatementRef"
            assert statement["object"]["id"] in seen_ids, "a voiding statement comes before the statement it voids"
            voided.append(statement["object"]["id"])
        if "id" in statement:
            seen_ids.add(statement["id"])

    assert summary.voiding == len(voided)
    assert summary.voided == len(set(voided))
    assert len(set(voided)) == len(voided)
    assert summary.voiding > 0


def test_every_kind_is_present(term_set):
    summary, _ = term_set

    assert set(summary.kinds) == {
        "page_viewed", "part_attempt", "activity_attempt", "page_attempt",
        "video_played", "video_paused", "video_seeked", "video_completed", "voiding",
    }
    assert all(count > 0 for count in summary.kinds.values()), summary.kinds


def test_parts_follow_lines_per_file_and_dates(term_set):
    summary, _ = term_set

    assert [part["lines"] for part in summary.files] == [7000, 7000, 7000, 7000, 2150]
    for number, part in enumerate(summary.files, start=1):
        path = Path(part["location"])
        first = json.loads(path.read_text().split("\n", 1)[0])
        assert path.name == f"part-{number:05d}.jsonl"
        assert path.parent.name == f"date={first['timestamp'][:10]}"
        assert part["bytes"] == path.stat().st_size


@pytest.mark.parametrize(("events", "files", "expected"), [(1000, 3, [335, 335, 335]), (10, 4, [2, 3, 2, 3]), (2, 5, [1, 1])], ids=["even", "uneven", "more-files-than-lines"])
def test_files_option_splits_lines(tmp_path, events, files, expected):
    summary = generate(tmp_path, events=events, students=20, files=files, duplicate_share=0.005)

    assert [part["lines"] for part in summary.files] == expected
    assert summary.lines == sum(expected)
    assert len(read_all_lines(summary)) == summary.lines


def test_zero_events_writes_only_catalog(tmp_path):
    summary = generate(tmp_path, events=0, students=5)

    assert summary.lines == 0
    assert summary.files == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["projects.json", "resources.json", "sections.json"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"projects": 0}, "projects=0 is invalid"),
        ({"projects": 3, "sections": 2}, "sections=2 is fewer than projects=3"),
        ({"students": 0}, "students=0 is invalid"),
        ({"events": -1}, "events=-1 is negative"),
        ({"weeks": 0}, "weeks=0 is invalid"),
        ({"files": 2, "lines_per_file": 10}, "give one of them"),
        ({"files": 0}, "files=0 is invalid"),
        ({"id_share": 1.5}, "id_share=1.5 is invalid"),
    ],
    ids=["no-projects", "fewer-sections", "no-students", "negative-events", "no-weeks", "files-and-lines", "no-files", "share-above-one"],
)
def test_invalid_arguments_are_rejected(tmp_path, arguments, message):
    with pytest.raises(UserInputError, match=message):
        generate(tmp_path, **{"events": 10, **arguments})


def test_output_must_be_folder_or_s3(tmp_path):
    (tmp_path / "file").write_text("")

    with pytest.raises(UserInputError, match="is not a folder"):
        generate(tmp_path / "file", events=10)
    with pytest.raises(UserInputError, match="neither a folder nor an s3"):
        generate("https://example.edu/out", events=10)


def test_cli_prints_summary(tmp_path):
    result = CliRunner().invoke(
        generate_command,
        ["--out", str(tmp_path), "--projects", "1", "--sections", "2", "--students", "10", "--events", "500", "--seed", "3", "--gzip", "--start", "2026-09-07", "--weeks", "4", "--files", "2"],
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["lines"] == 500 + summary["duplicates"]
    assert summary["start"] == "2026-09-07"
    assert summary["end"] == "2026-10-04"
    assert [Path(part["location"]).name for part in summary["files"]] == ["part-00001.jsonl.gz", "part-00002.jsonl.gz"]
    assert all(Path(part["location"]).is_file() for part in summary["files"])


def test_resource_ids_unique_across_projects(tmp_path):
    generate(tmp_path, projects=8, sections=8, students=10, events=0, seed=4)
    resources = json.loads((tmp_path / "resources.json").read_text())

    ids = [row["resource_id"] for row in resources]
    assert len(ids) == len(set(ids))
    assert {row["kind"] for row in resources} == {"page", "activity"}
    assert len({row["project_id"] for row in resources}) == 8


def test_memory_does_not_grow_with_events(tmp_path):
    peaks = []
    for events in (5_000, 40_000):
        tracemalloc.start()
        generate(tmp_path / str(events), events=events, students=200, lines_per_file=1_000_000)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    assert peaks[1] < 1.3 * peaks[0], f"peak memory {peaks[1]} bytes for 40,000 statements against {peaks[0]} for 5,000"
    assert peaks[1] < 32 * 1024 * 1024
