"""Reading S3 Inventory reports: manifest location and checks, CSV and Parquet files, key selection."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, datetime, timezone

import pytest

from olap.core.errors import UserInputError
from olap.plugins.backfill_inventory.loading import listing_prefix
from olap.plugins.backfill_inventory.manifest import InventoryObject, find_manifest, manifest_location, read_inventory_file, read_manifest, select_objects
from olap.plugins.backfill_inventory.service import dry_run, make_options

from .reports import put_objects, write_report


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"manifest_url": "s3://inv/a/b/2026-02-15T01-00Z/manifest.json"}, ("inv", "a/b/2026-02-15T01-00Z/manifest.json", "manifest")),
        ({"bucket": "inv", "prefix": "/a/b/", "when": "2026-02-15"}, ("inv", "a/b/2026-02-15", "search")),
        ({"bucket": "inv", "prefix": "a/b", "when": "2026-02-15T01-00Z"}, ("inv", "a/b/2026-02-15T01-00Z", "search")),
    ],
    ids=["url", "date", "date-and-time"],
)
def test_manifest_location_forms(arguments, expected):
    assert manifest_location(**arguments) == expected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"manifest_url": "s3://inv/a/data.csv.gz"}, "does not name a manifest.json"),
        ({"bucket": "inv", "prefix": "a"}, "Give either the manifest URL"),
        ({"bucket": "inv", "prefix": "a", "when": "15/02/2026"}, "YYYY-MM-DD"),
        ({"bucket": "Bad_Bucket", "prefix": "a", "when": "2026-02-15"}, "not a valid bucket"),
    ],
    ids=["not-manifest", "no-date", "bad-date", "bad-bucket"],
)
def test_manifest_location_errors(arguments, message):
    with pytest.raises(UserInputError, match=message):
        manifest_location(**arguments)


@pytest.mark.parametrize("file_format", ["CSV", "Parquet"])
def test_report_lists_every_object_with_exact_keys(s3, bucket, file_format):
    report = put_objects(s3, bucket, 12, empty=2)
    manifest_url = write_report(s3, bucket, bucket, file_format=file_format, files=2)

    manifest = read_manifest(s3, manifest_url)
    listed = [listed for inventory_file in manifest.files for listed in read_inventory_file(s3, manifest, inventory_file)]

    assert (manifest.file_format, manifest.source_bucket, manifest.bucket, len(manifest.files)) == (file_format, bucket, bucket, 2)
    assert sorted(listed_object.key for listed_object in listed if listed_object.size) == sorted(stored.key for stored in report.objects)
    assert {"xapi/date=2026-02-11/a+b 1.jsonl", "xapi/date=2026-02-12/k=v 2.jsonl", "xapi/date=2026-02-13/été 3.jsonl", "xapi/date=2026-02-14/日本 4.jsonl.gz", "xapi/date=2026-02-10/part 0.jsonl"} <= {listed_object.key for listed_object in listed}
    assert all(listed_object.etag and listed_object.last_modified for listed_object in listed)


def test_manifest_found_by_date(s3, bucket):
    put_objects(s3, bucket, 2, empty=0)
    write_report(s3, bucket, bucket, when="2026-02-15T01-00Z")
    latest = write_report(s3, bucket, bucket, when="2026-02-15T13-00Z")

    assert find_manifest(s3, bucket=bucket, prefix=f"inventory/{bucket}/daily", when="2026-02-15") == latest
    with pytest.raises(UserInputError, match="No manifest.json found"):
        find_manifest(s3, bucket=bucket, prefix=f"inventory/{bucket}/daily", when="2026-02-16")


def test_manifest_checksum_mismatch_is_rejected(s3, bucket):
    put_objects(s3, bucket, 2, empty=0)
    manifest_url = write_report(s3, bucket, bucket)
    s3.put_object(Bucket=bucket, Key=manifest_url.split("/", 3)[3].replace("manifest.json", "manifest.checksum"), Body=b"0" * 32)

    with pytest.raises(UserInputError, match="does not match its manifest.checksum"):
        read_manifest(s3, manifest_url)


def test_manifest_without_checksum_is_read(s3, bucket):
    put_objects(s3, bucket, 2, empty=0)

    manifest = read_manifest(s3, write_report(s3, bucket, bucket, checksum=False))

    assert len(manifest.files) == 3


def _put_manifest(s3, bucket: str, document: dict) -> str:
    s3.put_object(Bucket=bucket, Key="inv/2026-02-15T01-00Z/manifest.json", Body=json.dumps(document).encode())
    return f"s3://{bucket}/inv/2026-02-15T01-00Z/manifest.json"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"fileFormat": "ORC", "fileSchema": "struct<bucket:string,key:string>", "files": []}, "ORC files, which inventory backfills do not read"),
        ({"fileFormat": "JSON", "files": []}, "expected CSV or Parquet"),
        ({"fileFormat": "CSV", "fileSchema": "Bucket, Size", "files": []}, "without a Key column"),
    ],
    ids=["orc", "unknown-format", "no-key-column"],
)
def test_unreadable_manifests_are_rejected(s3, bucket, document, message):
    with pytest.raises(UserInputError, match=message):
        read_manifest(s3, _put_manifest(s3, bucket, document))


def test_data_file_md5_is_verified(s3, bucket):
    content = gzip.compress(b'"b","x.jsonl","5","2026-02-10T00:00:00.000Z","e"\n')
    s3.put_object(Bucket=bucket, Key="inv/data/0.csv.gz", Body=content)
    manifest = read_manifest(s3, _put_manifest(s3, bucket, {"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag", "files": [{"key": "inv/data/0.csv.gz", "size": len(content), "MD5checksum": "0" * 32}]}))

    with pytest.raises(UserInputError, match="does not match the MD5 in the manifest"):
        read_inventory_file(s3, manifest, manifest.files[0])


def test_csv_keys_are_url_decoded_and_versions_skipped(s3, bucket):
    rows = [
        '"b","dir/a+b%2Bc%3Dd+%C3%A9.jsonl","5","2026-02-10T00:00:00.000Z","e1","true","false"',
        '"b","dir/old.jsonl","5","2026-02-10T00:00:00.000Z","e2","false","false"',
        '"b","dir/gone.jsonl","","2026-02-10T00:00:00.000Z","","true","true"',
    ]
    content = gzip.compress(("\n".join(rows) + "\n").encode())
    s3.put_object(Bucket=bucket, Key="inv/data/0.csv.gz", Body=content)
    manifest = read_manifest(s3, _put_manifest(s3, bucket, {"fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag, IsLatest, IsDeleteMarker", "files": [{"key": "inv/data/0.csv.gz", "size": len(content), "MD5checksum": hashlib.md5(content).hexdigest()}]}))

    selection = select_objects(read_inventory_file(s3, manifest, manifest.files[0]))

    assert [listed.key for listed in selection.objects] == ["dir/a b+c=d é.jsonl"]
    assert selection.skipped_other == 2


def test_selection_by_key_date_and_last_modified():
    listed = [
        InventoryObject("x/2026-02-09/a.jsonl", 5, "e", datetime(2026, 2, 12, 23, 30, tzinfo=timezone.utc)),
        InventoryObject("x/2026-02-10/b.jsonl", 5, "e", datetime(2026, 2, 9, tzinfo=timezone.utc)),
        InventoryObject("x/20260211/c.jsonl", 5, "e", None),
        InventoryObject("x/undated.jsonl", 5, "e", datetime(2026, 2, 10, tzinfo=timezone.utc)),
        InventoryObject("x/2026-02-10/empty.jsonl", 0, "e", None),
        InventoryObject("x/2026-02-10/b.jsonl", 5, "e", None),
    ]

    by_key = select_objects(listed, date(2026, 2, 10), date(2026, 2, 11), "key")
    by_time = select_objects(listed, date(2026, 2, 10), date(2026, 2, 12), "last_modified")
    everything = select_objects(listed)

    assert [listed_object.key for listed_object in by_key.objects] == ["x/2026-02-10/b.jsonl", "x/20260211/c.jsonl"]
    assert (by_key.skipped_empty, by_key.skipped_out_of_range, by_key.skipped_other) == (1, 2, 1)
    assert [listed_object.key for listed_object in by_time.objects] == ["x/2026-02-09/a.jsonl", "x/undated.jsonl"]
    assert by_time.skipped_out_of_range == 2
    assert (len(everything.objects), everything.skipped) == (4, 2)


@pytest.mark.parametrize(("key", "prefix"), [("a/b/c.jsonl", "a/b/"), ("top.jsonl", ""), ("a/x*y/b/c.jsonl", "a/x"), ("a/{b}/c.jsonl", "a/")], ids=["folder", "root", "star", "brace"])
def test_listing_prefix_stops_before_globs(key, prefix):
    assert listing_prefix(key) == prefix


@pytest.mark.parametrize("file_format", ["CSV", "Parquet"])
def test_dry_run_counts_objects_and_skips(s3, bucket, file_format):
    report = put_objects(s3, bucket, 20, empty=2)
    manifest_url = write_report(s3, bucket, bucket, file_format=file_format, files=2)

    whole = dry_run(manifest_url, make_options(chunk_size=5))
    ranged = dry_run(manifest_url, make_options(date_from="2026-02-11", date_to="2026-02-12", chunk_size=5))

    assert (whole["files"], whole["objects"], whole["skipped_empty"], whole["skipped"]) == (2, 20, 2, 2)
    assert whole["bytes"] == sum(row["Size"] for row in s3.list_objects_v2(Bucket=bucket, Prefix="xapi/")["Contents"])
    assert whole["chunks"] == 4
    in_range = [stored for stored in report.objects if stored.day in (11, 12)]
    assert ranged["objects"] == len(in_range)
    assert ranged["skipped_out_of_range"] == 20 - len(in_range)
    assert ranged["skipped_empty"] == 2
