"""Destinations of generated files: a local folder or an S3 prefix, plain or gzip JSONL parts.

Part files are named `date=YYYY-MM-DD/part-NNNNN.jsonl[.gz]` under the destination, where
the date is the UTC date of the first statement in the part. gzip output sets no file name
and a zero modification time in its header, so equal input gives equal bytes.
"""

from __future__ import annotations

import gzip
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from olap.core.errors import UserInputError
from olap.core.s3 import parse_s3_url, s3_client

logger = logging.getLogger(__name__)

# zlib level of gzip parts. With level 1, bench/generate_throughput.py measured gzip
# parts at about 8 % of the plain size for about 15 % less throughput.
GZIP_LEVEL = 1
# Lines kept in memory before they are written to the part file.
WRITE_BATCH_LINES = 2000


class Destination:
    """Target of part files and catalog files; `location` gives the name the summary shows for a key."""

    def open_part(self, key: str) -> BinaryIO:
        raise NotImplementedError

    def close_part(self, key: str, handle: BinaryIO) -> None:
        raise NotImplementedError

    def put(self, key: str, content: bytes) -> None:
        raise NotImplementedError

    def location(self, key: str) -> str:
        raise NotImplementedError


class FolderDestination(Destination):
    def __init__(self, root: Path):
        self.root = root
        if root.exists() and not root.is_dir():
            raise UserInputError(f"Output {str(root)!r} exists and is not a folder; give a folder or an s3://bucket/prefix URL.")

    def open_part(self, key: str) -> BinaryIO:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("wb")

    def close_part(self, key: str, handle: BinaryIO) -> None:
        handle.close()

    def put(self, key: str, content: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def location(self, key: str) -> str:
        return str(self.root / key)


class S3Destination(Destination):
    """Writes each part to a temporary file, then uploads it (multipart when large) and deletes it."""

    def __init__(self, url: str):
        self.bucket, prefix = parse_s3_url(url)
        self.prefix = prefix.strip("/")
        self.client = s3_client()

    def _object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def open_part(self, key: str) -> BinaryIO:
        return tempfile.NamedTemporaryFile(prefix="olap-generate-", suffix=".part", delete=False)

    def close_part(self, key: str, handle: BinaryIO) -> None:
        handle.close()
        try:
            self.client.upload_file(handle.name, self.bucket, self._object_key(key))
        finally:
            os.unlink(handle.name)
        logger.info("generate: uploaded s3://%s/%s", self.bucket, self._object_key(key))

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=content)

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._object_key(key)}"


def open_destination(out: str | Path) -> Destination:
    """Open a folder destination for a path, or an S3 one for an `s3://bucket/prefix` URL."""
    text = str(out)
    if text.startswith("s3://"):
        return S3Destination(text)
    if "://" in text:
        raise UserInputError(f"Output {text!r} is neither a folder nor an s3://bucket/prefix URL.")
    return FolderDestination(Path(text))


class PartWriter:
    """Writes lines to numbered part files, starting a new part whenever `next_part` is called."""

    def __init__(self, destination: Destination, gzip_parts: bool):
        self.destination = destination
        self.gzip_parts = gzip_parts
        self.parts: list[dict] = []
        self._handle: BinaryIO | None = None
        self._stream: BinaryIO | None = None
        self._key = ""
        self._buffer: list[str] = []
        self._lines = 0

    def next_part(self, first_timestamp: str) -> None:
        """Close the current part and open the next one, dated by its first statement's UTC date."""
        self.close()
        number = len(self.parts) + 1
        suffix = ".jsonl.gz" if self.gzip_parts else ".jsonl"
        self._key = f"date={first_timestamp[:10]}/part-{number:05d}{suffix}"
        self._handle = self.destination.open_part(self._key)
        if self.gzip_parts:
            self._stream = gzip.GzipFile(filename="", mode="wb", fileobj=self._handle, compresslevel=GZIP_LEVEL, mtime=0)
        else:
            self._stream = self._handle
        self._lines = 0

    def write_lines(self, lines: list[str]) -> None:
        """Queue lines for the open part; they reach the file in batches of WRITE_BATCH_LINES."""
        self._buffer.extend(lines)
        if len(self._buffer) >= WRITE_BATCH_LINES:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._stream.write(("\n".join(self._buffer) + "\n").encode("utf-8"))
            self._lines += len(self._buffer)
            self._buffer.clear()

    def close(self) -> None:
        """Finish the open part, if any, and record its key and line count."""
        if self._stream is None:
            return
        self._flush()
        if self._stream is not self._handle:
            self._stream.close()
        size = self._handle.tell()
        self.destination.close_part(self._key, self._handle)
        self.parts.append({"key": self._key, "location": self.destination.location(self._key), "lines": self._lines, "bytes": size})
        self._stream = None
        self._handle = None
