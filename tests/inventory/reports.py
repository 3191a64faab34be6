"""Builders of real S3 Inventory reports on the loopback S3 server: objects, CSV or Parquet files, manifest."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from urllib.parse import quote_plus

STATEMENT = (
    '{"actor":{"account":{"homePage":"lms.example.edu","name":%(user)d}},'
    '"context":{"extensions":{"http://oli.cmu.edu/extensions/page_id":%(page)d,"http://oli.cmu.edu/extensions/project_id":318,'
    '"http://oli.cmu.edu/extensions/section_id":2051}},"object":{"definition":{"type":"http://oli.cmu.edu/extensions/types/page"},'
    '"id":"lms.example.edu/page/%(page)d","objectType":"Page"},"timestamp":"2026-02-%(day)02dT10:%(minute)02d:%(second)02dZ",'
    '"verb":{"id":"http://id.tincanapi.com/verb/viewed"}}'
)
CSV_SCHEMA = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"
NAMES = ("part {n}.jsonl", "a+b {n}.jsonl", "k=v {n}.jsonl", "été {n}.jsonl", "日本 {n}.jsonl.gz")


def jsonl(first_user: int, count: int, bad: int = 0, day: int = 10) -> bytes:
    lines = [STATEMENT % {"user": first_user + n, "page": n % 7, "day": day, "minute": n // 60 % 60, "second": n % 60} for n in range(count)]
    lines += ["{not json"] * bad
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class StoredObject:
    """An object put on the loopback server, with the lines it holds."""

    key: str
    lines: int
    rejects: int
    day: int


@dataclass(frozen=True)
class Report:
    """Objects of a source bucket and the inventory report listing them."""

    source_bucket: str
    objects: list[StoredObject]
    empty_keys: list[str]

    @property
    def lines(self) -> int:
        return sum(stored.lines for stored in self.objects)

    @property
    def rejects(self) -> int:
        return sum(stored.rejects for stored in self.objects)


def put_objects(client, bucket: str, count: int, *, prefix: str = "xapi", statements: int = 3, empty: int = 3) -> Report:
    """Put `count` JSONL objects over days 10 to 14 under keys with spaces, `+`, `=` and unicode, plus empty ones."""
    objects = []
    for number in range(count):
        day = 10 + number % 5
        bad = 1 if number % 10 == 0 else 0
        key = f"{prefix}/date=2026-02-{day:02d}/" + NAMES[number % len(NAMES)].format(n=number)
        body = jsonl(number * 100, statements, bad=bad, day=day)
        client.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body) if key.endswith(".gz") else body)
        objects.append(StoredObject(key, statements + bad, bad, day))
    empty_keys = [f"{prefix}/date=2026-02-11/empty {number}.jsonl" for number in range(empty)]
    for key in empty_keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    return Report(bucket, objects, empty_keys)


def listed_rows(client, bucket: str, prefix: str) -> list[dict]:
    rows = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        rows += page.get("Contents", [])
    return rows


def csv_file(bucket: str, rows: list[dict]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        modified = row["LastModified"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        writer.writerow([bucket, quote_plus(row["Key"], safe="/"), row["Size"], modified, row["ETag"].strip('"'), "STANDARD"])
    return gzip.compress(text.getvalue().encode())


def parquet_file(bucket: str, rows: list[dict]) -> bytes:
    import pyarrow
    import pyarrow.parquet

    table = pyarrow.table({
        "bucket": [bucket] * len(rows),
        "key": [row["Key"] for row in rows],
        "size": pyarrow.array([row["Size"] for row in rows], pyarrow.int64()),
        "last_modified_date": pyarrow.array([row["LastModified"] for row in rows], pyarrow.timestamp("ms", tz="UTC")),
        "e_tag": [row["ETag"].strip('"') for row in rows],
    })
    sink = io.BytesIO()
    pyarrow.parquet.write_table(table, sink)
    return sink.getvalue()


def write_report(client, source_bucket: str, destination_bucket: str, *, prefix: str = "xapi", file_format: str = "CSV", files: int = 3, when: str = "2026-02-15T01-00Z", checksum: bool = True, config: str = "daily") -> str:
    """Write the inventory of `source_bucket/prefix` as `files` data files and a manifest; return the manifest URL."""
    rows = sorted(listed_rows(client, source_bucket, prefix), key=lambda row: row["Key"])
    base = f"inventory/{source_bucket}/{config}"
    entries = []
    for number in range(files):
        part = rows[number::files]
        content = csv_file(source_bucket, part) if file_format == "CSV" else parquet_file(source_bucket, part)
        key = f"{base}/data/{when}-{number}.{'csv.gz' if file_format == 'CSV' else 'parquet'}"
        client.put_object(Bucket=destination_bucket, Key=key, Body=content)
        entries.append({"key": key, "size": len(content), "MD5checksum": hashlib.md5(content).hexdigest()})
    manifest = {
        "sourceBucket": source_bucket,
        "destinationBucket": f"arn:aws:s3:::{destination_bucket}",
        "version": "2016-11-30",
        "creationTimestamp": "1771117200000",
        "fileFormat": file_format,
        "fileSchema": CSV_SCHEMA if file_format == "CSV" else "message s3.inventory { required binary bucket; required binary key; optional int64 size; optional int64 last_modified_date; optional binary e_tag; }",
        "files": entries,
    }
    content = json.dumps(manifest).encode()
    client.put_object(Bucket=destination_bucket, Key=f"{base}/{when}/manifest.json", Body=content)
    if checksum:
        client.put_object(Bucket=destination_bucket, Key=f"{base}/{when}/manifest.checksum", Body=hashlib.md5(content).hexdigest().encode())
    return f"s3://{destination_bucket}/{base}/{when}/manifest.json"
