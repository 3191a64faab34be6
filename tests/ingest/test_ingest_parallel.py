"""Chunks transformed in worker processes give what the calling process gives, in order."""

from __future__ import annotations

import pytest

from olap.ingest import ingest_lines, parallel
from olap.ingest.parallel import resolve_processes, transform_chunks

from .conftest import line, read_lines, statement
from .test_ingest_identity import edge_case_lines


@pytest.fixture
def mixed_lines(xapi_files) -> list[bytes]:
    """Shared samples, edge cases and rejects, repeated to fill several chunks."""
    samples = [raw for path in xapi_files.values() for raw in read_lines(path)] + edge_case_lines()
    unique = [line(statement(extensions={"http://oli.cmu.edu/extensions/section_id": number})) for number in range(400)]
    return (samples * 4 + unique)[:1500]


@pytest.fixture
def stop_workers():
    yield
    parallel.shutdown_pool()


def test_worker_chunks_match_calling_process(mixed_lines, stop_workers):
    inline = list(transform_chunks(mixed_lines, "case.jsonl", chunk_lines=200, processes=1))
    pooled = list(transform_chunks(mixed_lines, "case.jsonl", chunk_lines=200, processes=2))

    assert parallel.worker_process_ids(), "the pool did not start"
    assert [index for index, _, _ in pooled] == list(range(len(inline)))
    for (_, count, expected), (_, pooled_count, transformed) in zip(inline, pooled):
        assert pooled_count == count
        assert transformed.rows.equals(expected.rows)
        assert transformed.rejects.equals(expected.rejects)
        assert transformed.untimezoned == expected.untimezoned


def test_few_chunks_stay_in_calling_process(mixed_lines, stop_workers):
    parallel.shutdown_pool()
    chunks = list(transform_chunks(mixed_lines[:400], "case.jsonl", chunk_lines=200, processes=2))

    assert len(chunks) == 2
    assert parallel.worker_process_ids() == []


def test_ingest_with_workers_counts_like_inline(clickhouse, mixed_lines, stop_workers):
    pooled = ingest_lines(clickhouse, mixed_lines, "pooled.jsonl", chunk_lines=200, processes=2)
    inline = ingest_lines(clickhouse, mixed_lines, "inline.jsonl", chunk_lines=200, processes=1)

    assert pooled.lines == len(mixed_lines)
    assert pooled.lines == pooled.inserted + pooled.duplicates + pooled.rejected
    assert pooled.reasons == inline.reasons
    assert pooled.untimezoned == inline.untimezoned
    assert inline.inserted == 0, "the second source repeats the first, so every row is a duplicate"
    assert inline.duplicates == pooled.inserted + pooled.duplicates


def test_default_processes_setting_is_used(monkeypatch):
    monkeypatch.setattr(parallel, "DEFAULT_PROCESSES", 1)
    assert resolve_processes(None) == 1
    assert resolve_processes(3) == 3

    monkeypatch.setattr(parallel, "DEFAULT_PROCESSES", None)
    assert resolve_processes(None) >= 1
    with pytest.raises(ValueError, match="at least 1, not 0"):
        resolve_processes(0)
