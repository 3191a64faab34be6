"""`olap ingest`: JSONL files from disk, S3 or standard input, gzip detected by magic bytes."""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from olap.core.clickhouse import ClickHouse
from olap.core.errors import UserInputError
from olap.core.s3 import GZIP_MAGIC, parse_s3_url, s3_client
from olap.ingest import IngestSummary, ingest_lines

logger = logging.getLogger(__name__)


@dataclass
class Source:
    """One input of `olap ingest`: its name for raw_events.source_file, a version tag and its bytes."""

    name: str
    etag: str
    size: int
    opener: Callable[[], io.BufferedIOBase]


def _file_sources(path: Path) -> Iterator[Source]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz", ".json", ".ndjson")))
        if not files:
            raise UserInputError(f"Folder {path} holds no .jsonl or .jsonl.gz files.")
        for file in files:
            yield from _file_sources(file)
        return
    if not path.exists():
        raise UserInputError(f"Input {path} does not exist; check the path.")
    resolved = path.resolve()
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    yield Source(f"file://{resolved}", digest.hexdigest()[:32], resolved.stat().st_size, lambda: resolved.open("rb"))


def _s3_source(url: str) -> Source:
    bucket, key = parse_s3_url(url)
    client = s3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except Exception as err:  # botocore ClientError or an endpoint failure
        raise UserInputError(f"Cannot read {url}: {err}; check the bucket, key and AWS credentials.") from err

    def opener() -> io.BufferedIOBase:
        return client.get_object(Bucket=bucket, Key=key)["Body"]._raw_stream

    return Source(url, head["ETag"].strip('"'), head["ContentLength"], opener)


def _stdin_source() -> Source:
    content = sys.stdin.buffer.read()
    return Source("stdin", hashlib.sha256(content).hexdigest()[:32], len(content), lambda: io.BytesIO(content))


def resolve_sources(inputs: list[str]) -> list[Source]:
    """Turn command arguments (paths, folders, s3:// URLs, '-') into sources, checking each exists."""
    sources: list[Source] = []
    for item in inputs:
        if item == "-":
            sources.append(_stdin_source())
        elif item.startswith("s3://"):
            sources.append(_s3_source(item))
        else:
            sources.extend(_file_sources(Path(item)))
    return sources


class _CountingReader(io.RawIOBase):
    """Wraps a byte stream and reports how many bytes were read from it, for the progress bar."""

    def __init__(self, stream, on_bytes: Callable[[int], None]):
        self.stream = stream
        self.on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.on_bytes(len(chunk))
        return len(chunk)


def _lines(stream, on_bytes: Callable[[int], None]) -> Iterator[bytes]:
    """Yield lines without their newline, decompressing gzip detected by its first bytes."""
    buffered = io.BufferedReader(_CountingReader(stream, on_bytes), buffer_size=1 << 20)
    reader = gzip.GzipFile(fileobj=buffered) if buffered.peek(2)[:2] == GZIP_MAGIC else buffered
    for line in reader:
        yield line[:-1] if line.endswith(b"\n") else line


def ingest_source(store: ClickHouse, source: Source, on_bytes: Callable[[int], None], max_line_bytes: int) -> IngestSummary:
    """Ingest one source; the counts satisfy lines = inserted + duplicates + rejected."""
    with source.opener() as stream:
        try:
            return ingest_lines(store, _lines(stream, on_bytes), source.name, source.etag, max_line_bytes=max_line_bytes)
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise UserInputError(f"Reading {source.name} failed ({err}); nothing after the last complete chunk was stored, and a rerun stores nothing twice.") from err
