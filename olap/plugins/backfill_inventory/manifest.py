"""S3 Inventory reports: find and check a manifest, read its CSV or Parquet data files, select keys.

A report is a `manifest.json` listing data files in the destination bucket, each with its
MD5. CSV data files are gzip-compressed and have no header. Their columns are the ones the
manifest's `fileSchema` names, in that order, and their keys are URL-encoded with `+` for
a space. Parquet data files carry their own schema and store keys as they are. ORC is
not read.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterable
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from olap.core.errors import UserInputError
from olap.core.s3 import parse_s3_url
from olap.plugins.backfill_s3.planning import BUCKET, KEY_DATE

FORMATS = ("CSV", "Parquet")
MANIFEST_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}-\d{2}Z)?$")
DATE_BASES = ("key", "last_modified")


@dataclass(frozen=True)
class InventoryFile:
    """One data file of a report, as the manifest lists it."""

    key: str
    size: int
    md5: str


@dataclass
class Manifest:
    """A checked manifest.json: where its data files are, their format and schema."""

    url: str
    bucket: str  # the destination bucket, which contains the manifest and its data files
    source_bucket: str
    file_format: str
    file_schema: str
    files: list[InventoryFile]
    created: str = ""


@dataclass(frozen=True)
class InventoryObject:
    """One object an inventory lists."""

    key: str
    size: int
    etag: str = ""
    last_modified: datetime | None = None


@dataclass
class Selection:
    """The objects of one data file a run loads, and how many it skips and why."""

    objects: list[InventoryObject] = field(default_factory=list)
    skipped_empty: int = 0
    skipped_out_of_range: int = 0
    skipped_other: int = 0  # delete markers, older versions and repeated keys

    @property
    def skipped(self) -> int:
        return self.skipped_empty + self.skipped_out_of_range + self.skipped_other

    @property
    def bytes_total(self) -> int:
        return sum(listed.size for listed in self.objects)


def manifest_location(manifest_url: str = "", bucket: str = "", prefix: str = "", when: str = "") -> tuple[str, str, str]:
    """Return (bucket, key or key prefix, kind) of a manifest given by URL or by bucket, prefix and date.

    `kind` is "manifest" for a URL ending in manifest.json and "search" for a
    bucket + prefix + date (YYYY-MM-DD or YYYY-MM-DDTHH-MMZ), whose manifest is looked up.
    """
    if manifest_url.strip():
        bucket, key = parse_s3_url(manifest_url.strip())
        if not key.endswith("manifest.json"):
            raise UserInputError(f"{manifest_url!r} does not name a manifest.json; use s3://bucket/prefix/YYYY-MM-DDTHH-MMZ/manifest.json.")
    else:
        bucket, prefix, when = bucket.strip(), prefix.strip().strip("/"), when.strip()
        if not bucket or not prefix or not when:
            raise UserInputError("Give either the manifest URL, or the bucket, the inventory prefix and the date.")
        if not MANIFEST_TIME.match(when):
            raise UserInputError(f"The date {when!r} is invalid; use YYYY-MM-DD or YYYY-MM-DDTHH-MMZ as in the inventory's folder names.")
        key = f"{prefix}/{when}"
    if not BUCKET.match(bucket):
        raise UserInputError(f"{bucket!r} is not a valid bucket name.")
    return bucket, key, "manifest" if key.endswith("manifest.json") else "search"


def find_manifest(client: Any, manifest_url: str = "", bucket: str = "", prefix: str = "", when: str = "") -> str:
    """Return the s3:// URL of the manifest given directly, or the latest one of the given date."""
    bucket, key, kind = manifest_location(manifest_url, bucket, prefix, when)
    if kind == "manifest":
        return f"s3://{bucket}/{key}"
    found = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            found += [entry["Key"] for entry in page.get("Contents", []) if entry["Key"].endswith("/manifest.json")]
    except (ClientError, BotoCoreError) as err:
        raise UserInputError(describe_s3_error(err, bucket)) from err
    if not found:
        raise UserInputError(f"No manifest.json found under s3://{bucket}/{key}; check the inventory prefix (destination prefix/source bucket/configuration id) and the date.")
    return f"s3://{bucket}/{max(found)}"


def describe_s3_error(err: Exception, bucket: str, key: str = "") -> str:
    where = f"s3://{bucket}/{key}" if key else f"bucket {bucket!r}"
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404"):
            return f"{where} does not exist; check the manifest location."
        if code == "NoSuchBucket":
            return f"The bucket {bucket!r} does not exist; check its name and AWS_REGION."
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "ExpiredToken"):
            return f"S3 denied access to {where} ({code}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket policy."
        return f"S3 returned {code or 'an error'} for {where}: {err}"
    return f"S3 could not be reached for {where} ({err}); check AWS_ENDPOINT_URL and the network."


def _get(client: Any, bucket: str, key: str) -> bytes:
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as err:
        raise UserInputError(describe_s3_error(err, bucket, key)) from err


def read_manifest(client: Any, manifest_url: str) -> Manifest:
    """Download and check a manifest.json: its checksum file when present, format, schema and files."""
    bucket, key = parse_s3_url(manifest_url)
    content = _get(client, bucket, key)
    checksum_key = key.removesuffix("manifest.json") + "manifest.checksum"
    try:
        expected = client.get_object(Bucket=bucket, Key=checksum_key)["Body"].read().decode().strip().lower()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code", "") not in ("NoSuchKey", "404"):
            raise UserInputError(describe_s3_error(err, bucket, checksum_key)) from err
        expected = ""
    if expected and hashlib.md5(content).hexdigest() != expected:
        raise UserInputError(f"{manifest_url} does not match its manifest.checksum (MD5 {expected}); the report may be incomplete, so wait for S3 to finish writing it or pick another date.")

    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserInputError(f"{manifest_url} is not valid JSON ({err}).") from err
    file_format = str(document.get("fileFormat", ""))
    if file_format.upper() == "ORC":
        raise UserInputError(f"{manifest_url} lists ORC files, which inventory backfills do not read; configure the inventory report as CSV or Parquet.")
    if file_format not in FORMATS:
        raise UserInputError(f"{manifest_url} has fileFormat {file_format!r}; expected CSV or Parquet.")
    file_schema = str(document.get("fileSchema", ""))
    if file_format == "CSV" and "Key" not in _schema_columns(file_schema):
        raise UserInputError(f"{manifest_url} has a fileSchema without a Key column: {file_schema!r}.")
    try:
        files = [InventoryFile(str(entry["key"]), int(entry.get("size", 0)), str(entry.get("MD5checksum", "")).lower()) for entry in document.get("files", [])]
    except (KeyError, TypeError, ValueError) as err:
        raise UserInputError(f"{manifest_url} has a malformed files list ({err}).") from err
    destination = str(document.get("destinationBucket", "")).removeprefix("arn:aws:s3:::") or bucket
    return Manifest(manifest_url, destination, str(document.get("sourceBucket", "")), file_format, file_schema, files, str(document.get("creationTimestamp", "")))


def _schema_columns(file_schema: str) -> list[str]:
    return [name.strip() for name in file_schema.split(",") if name.strip()]


def _normal(name: str) -> str:
    """Return a column name without case or underscores, so CSV's LastModifiedDate meets Parquet's last_modified_date."""
    return name.replace("_", "").lower()


def read_inventory_file(client: Any, manifest: Manifest, inventory_file: InventoryFile) -> list[InventoryObject]:
    """Download one data file, check its MD5 against the manifest, and return the objects it lists."""
    content = _get(client, manifest.bucket, inventory_file.key)
    if inventory_file.md5 and hashlib.md5(content).hexdigest() != inventory_file.md5:
        raise UserInputError(f"s3://{manifest.bucket}/{inventory_file.key} does not match the MD5 in the manifest ({inventory_file.md5}); it may have been replaced, so use a newer report.")
    where = f"s3://{manifest.bucket}/{inventory_file.key}"
    if manifest.file_format == "CSV":
        return list(_csv_objects(content, manifest.file_schema, where))
    return list(_parquet_objects(content, where))


def _csv_objects(content: bytes, file_schema: str, where: str) -> Iterable[InventoryObject]:
    try:
        text = gzip.decompress(content).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise UserInputError(f"{where} is not gzip-compressed UTF-8 CSV ({err}).") from err
    positions = {_normal(name): index for index, name in enumerate(_schema_columns(file_schema))}
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) < len(positions):
            raise UserInputError(f"{where} line {line_number} has {len(row)} columns; the fileSchema names {len(positions)}.")
        yield _object_of({name: row[index] for name, index in positions.items()}, unquote_plus(row[positions["key"]]))


def _parquet_objects(content: bytes, where: str) -> Iterable[InventoryObject]:
    import pyarrow
    import pyarrow.parquet

    try:
        table = pyarrow.parquet.read_table(io.BytesIO(content))
    except pyarrow.ArrowException as err:
        raise UserInputError(f"{where} is not a readable Parquet file ({err}).") from err
    names = {_normal(name): name for name in table.column_names}
    if "key" not in names:
        raise UserInputError(f"{where} has no key column; its columns are {', '.join(table.column_names)}.")
    for row in table.select(list(names.values())).to_pylist():
        fields = {normal: row[name] for normal, name in names.items()}
        yield _object_of(fields, str(fields["key"]))


def _object_of(fields: dict[str, Any], key: str) -> InventoryObject:
    if _is_skipped_version(fields):
        # A size of -1 marks a row select_objects skips.
        return InventoryObject(key, -1)
    size = fields.get("size")
    etag = str(fields.get("etag") or "").strip('"')
    return InventoryObject(key, int(size) if size not in (None, "") else 0, etag, _timestamp(fields.get("lastmodifieddate")))


def _is_skipped_version(fields: dict[str, Any]) -> bool:
    """Return whether a row is a delete marker or an older version, which s3() cannot read by key."""
    if _truthy(fields.get("isdeletemarker")):
        return True
    return fields.get("islatest") not in (None, "") and not _truthy(fields.get("islatest"))


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _timestamp(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as err:
        raise UserInputError(f"The last modified time {value!r} is not an ISO 8601 time.") from err


def day_of_key(key: str) -> date | None:
    """Return the first YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) date found in a key."""
    match = KEY_DATE.search(key)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def select_objects(listed: Iterable[InventoryObject], date_from: date | None = None, date_to: date | None = None, basis: str = "key") -> Selection:
    """Keep the objects a run loads: not empty, not a delete marker or older version, within the dates.

    The date of an object is the first date in its key (basis "key") or its last modified
    day in UTC (basis "last_modified"). With a range given, an object without a date is
    skipped as out of range. Both ends of the range are included.
    """
    selection = Selection()
    seen: set[str] = set()
    for listed_object in listed:
        if listed_object.size < 0 or listed_object.key in seen:
            selection.skipped_other += 1
            continue
        seen.add(listed_object.key)
        if listed_object.size == 0:
            selection.skipped_empty += 1
            continue
        if date_from or date_to:
            if basis == "last_modified":
                day = listed_object.last_modified.astimezone(timezone.utc).date() if listed_object.last_modified else None
            else:
                day = day_of_key(listed_object.key)
            if day is None or (date_from and day < date_from) or (date_to and day > date_to):
                selection.skipped_out_of_range += 1
                continue
        selection.objects.append(listed_object)
    return selection


def check_date_basis(manifest: Manifest, basis: str, has_range: bool) -> None:
    """Raise when a range judged by last modified time meets a report without that column."""
    if basis not in DATE_BASES:
        raise UserInputError(f"The date basis {basis!r} is unknown; use key or last_modified.")
    if has_range and basis == "last_modified" and manifest.file_format == "CSV" and "lastmodifieddate" not in {_normal(name) for name in _schema_columns(manifest.file_schema)}:
        raise UserInputError(f"{manifest.url} has no LastModifiedDate column, so the date range cannot be judged by last modified time; judge it by the keys instead.")
