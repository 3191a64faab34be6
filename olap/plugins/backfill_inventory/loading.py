"""The ClickHouse side of a chunk: one INSERT INTO raw_lines … SELECT FROM s3() over its keys, then its counts.

raw_lines is a Null table whose materialized views apply the shared xAPI mapping, so one
read of a chunk's objects fills raw_events and raw_events_rejected and records the last
line of each object in raw_lines_seen.

s3() takes one URL, so a chunk is read through one s3() per folder of its keys: the
folder (cut before any glob character) followed by `**`, filtered by `_path IN` the
chunk's exact keys. ClickHouse lists that folder and GETs only the listed keys.

No insert deduplication token is used: the blocks of a parallel INSERT … SELECT are not
cut the same way twice, so a token per block could drop different lines on a retry. A
chunk that runs twice is harmless, because raw_events collapses copies of a statement
(same sort key) and raw_events_rejected collapses copies of a rejected line. The counts
are read back per chunk from ClickHouse, never added up from what was sent.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from olap.core.clickhouse import ClickHouse
from olap.plugins.backfill_inventory.manifest import InventoryObject
from olap.plugins.backfill_s3.planning import GLOB_CHARACTERS
from olap.plugins.backfill_s3.running import clickhouse_url

LISTING_STOPS = GLOB_CHARACTERS | {"}"}


def s3_credentials() -> dict[str, str]:
    """Return the AWS credentials of the environment, the same ones boto3 reads."""
    return {name: os.environ.get(variable, "") for name, variable in (("key", "AWS_ACCESS_KEY_ID"), ("secret", "AWS_SECRET_ACCESS_KEY"), ("token", "AWS_SESSION_TOKEN"))}


def listing_prefix(key: str) -> str:
    """Return the folder of `key`, cut before its first glob character, which s3() lists."""
    folder = key[: key.rfind("/") + 1]
    for index, character in enumerate(folder):
        if character in LISTING_STOPS:
            return folder[:index]
    return folder


def chunk_statement(bucket: str, chunk: Sequence[InventoryObject]) -> tuple[str, dict[str, Any]]:
    """Return (SQL, parameters) of the INSERT that loads a chunk's objects, secrets as bound parameters."""
    credentials = s3_credentials()
    if credentials["key"] and credentials["token"]:
        signature = "{key:String}, {secret:String}, {token:String}, "
    elif credentials["key"]:
        signature = "{key:String}, {secret:String}, "
    else:
        signature = "NOSIGN, "

    folders: dict[str, list[str]] = {}
    for listed in chunk:
        folders.setdefault(listing_prefix(listed.key), []).append(f"{bucket}/{listed.key}")
    parameters: dict[str, Any] = {name: value for name, value in credentials.items() if value}
    selects = []
    for number, (folder, paths) in enumerate(folders.items()):
        # NOTE: each chunk lists its folders again. A folder with many more objects than the
        # chunk costs a full listing per chunk, so larger chunks pay it less often.
        parameters[f"url_{number}"] = clickhouse_url(bucket, folder) + "**"
        parameters[f"paths_{number}"] = paths
        selects.append(
            "SELECT line, concat('s3://', _path), trim(BOTH '\"' FROM _etag), _row_number + 1 "
            f"FROM s3({{url_{number}:String}}, {signature}'LineAsString', 'line String', 'auto') "
            f"WHERE _path IN {{paths_{number}:Array(String)}}"
        )
    sql = "INSERT INTO raw_lines (raw, source_file, source_etag, source_line) " + " UNION ALL ".join(selects)
    return sql, parameters


def count_chunk(store: ClickHouse, bucket: str, chunk: Sequence[InventoryObject]) -> tuple[int, int, list[str]]:
    """Return (lines read, lines rejected, keys not read) of a chunk's objects, from what the views recorded.

    An object is counted at the ETag the inventory lists; when it was rewritten since the
    report (another ETag), at the version that was read. A key absent from raw_lines_seen
    was deleted after the report.
    """
    sources = {f"s3://{bucket}/{listed.key}": listed.etag for listed in chunk}
    seen = store.query(
        "SELECT source_file, source_etag, max(last_line) FROM raw_lines_seen WHERE source_file IN {files:Array(String)} GROUP BY source_file, source_etag",
        {"files": list(sources)},
    ).rows
    chosen: dict[str, tuple[str, int]] = {}
    for source_file, etag, last_line in seen:
        listed_etag = sources[source_file]
        current = chosen.get(source_file)
        if current is None or etag == listed_etag or (current[0] != listed_etag and last_line > current[1]):
            chosen[source_file] = (etag, int(last_line))
    lines = sum(last_line for _etag, last_line in chosen.values())
    missing = [source_file.removeprefix(f"s3://{bucket}/") for source_file in sources if source_file not in chosen]
    if not chosen:
        return 0, 0, missing
    rejects = store.query(
        "SELECT count() FROM raw_events_rejected FINAL WHERE (source_file, source_etag) IN {sources:Array(Tuple(String, String))}",
        {"sources": [(source_file, etag) for source_file, (etag, _line) in chosen.items()]},
    ).scalar()
    return lines, int(rejects or 0), missing
