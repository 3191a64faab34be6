"""Plugin backfill_s3: admins load S3 objects matching a URL or glob into raw_events."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import BackfillSource, Job, MenuItem
from olap.plugins.backfill_s3.running import run_backfill
from olap.plugins.backfill_s3.service import JOB_NAME


@hookimpl
def register_jobs():
    # A backfill of many files can read for hours; the timeout only stops a stuck job.
    return [Job(JOB_NAME, run_backfill, timeout_seconds=6 * 3600, result_ttl_seconds=7 * 86400)]


@hookimpl
def register_backfill_sources():
    return [BackfillSource("s3", "S3 URL or glob", "backfill_s3.console", "Load every object matching s3://bucket/prefix/**/*.jsonl(.gz).")]


@hookimpl
def register_blueprints():
    from olap.plugins.backfill_s3.views import bp

    return [bp]


@hookimpl
def register_menu_items():
    return [MenuItem("S3 backfills", "backfill_s3.console", permission="admin", order=210)]
