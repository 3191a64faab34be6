"""Read one S3 object as JSONL lines and ingest it, or transform it only in a dry run."""

from __future__ import annotations

import gzip
import io
import logging
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any, Iterator

from olap.ingest import IngestSummary, ingest_lines, transform_lines

from xapi_etl.events import S3Object
from xapi_etl.settings import Runtime

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 8 * 1024 * 1024


@dataclass
class ObjectReport:
    """Counts of one ingested object; in a dry run `inserted` counts rows the transform made."""

    url: str
    etag: str
    gzip: bool
    dry_run: bool
    seconds: float
    summary: IngestSummary = field(default_factory=IngestSummary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.url,
            "etag": self.etag,
            "gzip": self.gzip,
            "dry_run": self.dry_run,
            "lines": self.summary.lines,
            "inserted": self.summary.inserted,
            "duplicates": self.summary.duplicates,
            "rejected": self.summary.rejected,
            "reasons": dict(self.summary.reasons),
            "seconds": round(self.seconds, 3),
        }


def ingest_object(runtime: Runtime, s3_object: S3Object, dry_run: bool) -> ObjectReport:
    """Read `s3_object` and ingest its lines with `s3://bucket/key` and its ETag as the source.

    The same object read twice gives the same source and deduplication tokens, so a retry
    changes no count.
    """
    started = time.perf_counter()
    content, etag = read_object(runtime.s3, s3_object)
    compressed = content[:2] == GZIP_MAGIC
    stream: IO[bytes] = gzip.GzipFile(fileobj=io.BytesIO(content)) if compressed else io.BytesIO(content)

    settings = runtime.settings
    lines = iter_lines(stream)
    if dry_run:
        summary = transform_only(lines, s3_object.url, etag, settings.chunk_lines, settings.max_line_bytes)
    else:
        summary = ingest_lines(
            runtime.store(), lines, s3_object.url, etag, chunk_lines=settings.chunk_lines, max_line_bytes=settings.max_line_bytes
        )

    report = ObjectReport(s3_object.url, etag, compressed, dry_run, time.perf_counter() - started, summary)
    logger.info(
        "s3 object bucket=%s key=%s: %d lines, %d inserted, %d duplicates, %d rejected %s, etag %s, gzip %s, %.3f s%s",
        s3_object.bucket, s3_object.key, summary.lines, summary.inserted, summary.duplicates, summary.rejected,
        summary.reasons or "{}", etag, compressed, report.seconds, " (dry run, nothing inserted)" if dry_run else "",
    )
    return report


def read_object(s3: Any, s3_object: S3Object) -> tuple[bytes, str]:
    """Return the object's bytes and its ETag without quotes; reads the event's version when it names one."""
    request = {"Bucket": s3_object.bucket, "Key": s3_object.key}
    if s3_object.version_id:
        request["VersionId"] = s3_object.version_id
    response = s3.get_object(**request)
    # NOTE: the whole object is held in memory (compressed, when gzip) next to one chunk of
    # lines, so the function's memory must exceed the largest object plus a chunk.
    content = response["Body"].read()
    return content, response.get("ETag", "").strip('"')


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Yield the lines of a JSONL stream without their `\\n`, the way olap.ingest.split_jsonl splits.

    Only `\\n` ends a line, so a `\\r` stays part of its line as in the raw text. A final
    newline ends the last line and adds none.
    """
    carry = b""
    while block := stream.read(BLOCK_BYTES):
        parts = (carry + block).split(b"\n")
        carry = parts.pop()
        yield from parts
    if carry:
        yield carry


def transform_only(lines: Iterator[bytes], source_file: str, source_etag: str, chunk_lines: int, max_line_bytes: int) -> IngestSummary:
    """Transform lines chunk by chunk and count rows and rejects, inserting nothing.

    No duplicate lookup runs, so `inserted` counts every row the transform made.
    """
    summary = IngestSummary()
    first_line = 1
    while chunk := list(islice(lines, chunk_lines)):
        transformed = transform_lines(chunk, source_file, source_etag, first_line=first_line, max_line_bytes=max_line_bytes)
        reasons: dict[str, int] = {}
        for reason in transformed.rejects.column("reason").to_pylist():
            reasons[reason] = reasons.get(reason, 0) + 1
        summary.add(IngestSummary(len(chunk), transformed.rows.num_rows, 0, transformed.rejects.num_rows, transformed.untimezoned, reasons))
        first_line += len(chunk)
    return summary
