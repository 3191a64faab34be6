"""Ingest JSONL lines into raw_events: transform, skip duplicates, reject conflicts, insert.

Every line ends as exactly one of: an inserted row, a duplicate of a statement already
stored (same event_id and payload hash), or a raw_events_rejected row.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import closing
from dataclasses import dataclass, field
from typing import Iterable

import pyarrow as pa

from olap.core.clickhouse import ClickHouse
from olap.ingest import mapping
from olap.ingest.parallel import transform_chunks
from olap.ingest.transform import REJECT_SCHEMA, Transformed, reject_row

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_LINES = 10_000


@dataclass
class IngestSummary:
    """Counts of one ingest call; lines = inserted + duplicates + rejected."""

    lines: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    untimezoned: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: "IngestSummary") -> None:
        self.lines += other.lines
        self.inserted += other.inserted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.untimezoned += other.untimezoned
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


def split_jsonl(content: bytes) -> list[bytes]:
    """Split JSONL bytes into lines; a final newline ends the last line and adds none."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def ingest_lines(
    store: ClickHouse,
    lines: Iterable[bytes | str],
    source_file: str,
    source_etag: str = "",
    *,
    chunk_lines: int = DEFAULT_CHUNK_LINES,
    max_line_bytes: int = mapping.DEFAULT_MAX_LINE_BYTES,
    processes: int | None = None,
) -> IngestSummary:
    """Ingest JSONL lines (without newlines) of one source into raw_events.

    Lines are numbered from 1 and handled in chunks of `chunk_lines`. Each chunk's insert
    carries a deduplication token made of the source, the chunk index and the content,
    so retrying a chunk after a failure inserts nothing twice. `processes` worker
    processes transform later chunks while this one inserts (see
    olap.ingest.parallel.transform_chunks for the default and when workers are used).
    """
    if chunk_lines < 1:
        raise ValueError(f"chunk_lines must be at least 1, not {chunk_lines}")
    summary = IngestSummary()
    chunks = transform_chunks(lines, source_file, source_etag, chunk_lines=chunk_lines, max_line_bytes=max_line_bytes, processes=processes)
    # closing() cancels the chunks still queued for workers when an insert fails.
    with closing(chunks):
        for index, line_count, transformed in chunks:
            summary.add(_ingest_chunk(store, transformed, source_file, source_etag, index, line_count))

    logger.info(
        "ingest %s: %d lines, %d inserted, %d duplicates, %d rejected, %d without a time zone",
        source_file, summary.lines, summary.inserted, summary.duplicates, summary.rejected, summary.untimezoned,
    )
    return summary


def _ingest_chunk(store: ClickHouse, transformed: Transformed, source_file: str, source_etag: str, index: int, line_count: int) -> IngestSummary:
    rows = transformed.rows
    event_ids = rows.column("event_id").to_pylist()
    payload_hashes = rows.column("payload_hash").to_pylist()
    line_numbers = rows.column("source_line").to_pylist()
    stored = stored_payload_hashes(store, event_ids)

    keep: list[bool] = []
    conflicts: list[dict] = []
    duplicates = 0
    seen: dict[str, set[int]] = {event_id: set(hashes) for event_id, hashes in stored.items()}
    raw_texts = None
    for position, (event_id, payload_hash) in enumerate(zip(event_ids, payload_hashes)):
        known = seen.get(event_id)
        if known is None:
            seen[event_id] = {payload_hash}
            keep.append(True)
            continue
        keep.append(False)
        if payload_hash in known:
            duplicates += 1
            continue
        if raw_texts is None:
            raw_texts = rows.column("raw")
        raw = raw_texts[position].as_py().encode("utf-8")
        conflicts.append(reject_row(source_file, source_etag, line_numbers[position], "conflicting_duplicate", raw, event_id))

    fresh = rows.filter(pa.array(keep, pa.bool_())) if rows.num_rows else rows
    rejects = transformed.rejects
    if conflicts:
        rejects = pa.concat_tables([rejects, pa.Table.from_pylist(conflicts, schema=REJECT_SCHEMA)])
    if fresh.num_rows:
        store.insert_arrow("raw_events", fresh, deduplication_token=_token(source_file, source_etag, index, fresh, "rows"))
    if rejects.num_rows:
        store.insert_arrow("raw_events_rejected", rejects, deduplication_token=_token(source_file, source_etag, index, rejects, "rejects"))

    reasons: dict[str, int] = {}
    for reason in rejects.column("reason").to_pylist():
        reasons[reason] = reasons.get(reason, 0) + 1
    return IngestSummary(line_count, fresh.num_rows, duplicates, rejects.num_rows, transformed.untimezoned, reasons)


def stored_payload_hashes(store: ClickHouse, event_ids: list[str]) -> dict[str, list[int]]:
    """Payload hashes already stored in raw_events for each of `event_ids` that exists."""
    if not event_ids:
        return {}
    result = store.query(
        "SELECT event_id, groupUniqArray(payload_hash) FROM raw_events WHERE event_id IN {event_ids:Array(String)} GROUP BY event_id",
        {"event_ids": sorted(set(event_ids))},
    )
    return {event_id: list(hashes) for event_id, hashes in result.rows}


def _token(source_file: str, source_etag: str, index: int, table: pa.Table, kind: str) -> str:
    # The content digest keeps a changed file under the same name from being dropped as a
    # repeat of an earlier chunk with the same index.
    content = hashlib.sha256()
    for line_number in table.column("source_line").to_pylist():
        content.update(line_number.to_bytes(8, "big"))
    if kind == "rows":
        for payload_hash in table.column("payload_hash").to_pylist():
            content.update(payload_hash.to_bytes(8, "big"))
    else:
        for reason in table.column("reason").to_pylist():
            content.update(reason.encode())
    return f"ingest:{kind}:{source_file}:{source_etag}:{index}:{content.hexdigest()[:32]}"
