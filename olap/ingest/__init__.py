"""Ingest of xAPI statements into raw_events: column map, Python and SQL transforms, loader."""

from olap.ingest.loader import IngestSummary, ingest_lines, split_jsonl
from olap.ingest.sql import reject_select_sql, row_select_sql, untimezoned_count_sql
from olap.ingest.transform import Transformed, transform_lines

__all__ = [
    "IngestSummary",
    "Transformed",
    "ingest_lines",
    "reject_select_sql",
    "row_select_sql",
    "split_jsonl",
    "transform_lines",
    "untimezoned_count_sql",
]
