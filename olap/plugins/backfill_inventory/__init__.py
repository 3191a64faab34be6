"""Plugin backfill_inventory: admins load the objects an S3 Inventory report lists into raw_events."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import BackfillSource, Job, MenuItem
from olap.plugins.backfill_inventory import models  # noqa: F401  (registers the inventory tables on the metadata Base)
from olap.plugins.backfill_inventory.progress import BATCH_JOB, PREPARE_JOB, RECOVER_JOB
from olap.plugins.backfill_inventory.running import prepare_run, recover_runs, run_batch


@hookimpl
def register_jobs():
    # A batch of a large inventory file can load for hours; the timeout only stops a stuck job.
    return [
        Job(PREPARE_JOB, prepare_run, timeout_seconds=3600, result_ttl_seconds=7 * 86400),
        Job(BATCH_JOB, run_batch, timeout_seconds=6 * 3600, result_ttl_seconds=7 * 86400),
        Job(RECOVER_JOB, recover_runs, timeout_seconds=600, result_ttl_seconds=86400),
    ]


@hookimpl
def register_backfill_sources():
    return [BackfillSource("inventory", "S3 Inventory manifest", "backfill_inventory.console", "Load every object an S3 Inventory report (CSV or Parquet) lists, in chunks of keys.")]


@hookimpl
def register_blueprints():
    from olap.plugins.backfill_inventory.views import bp

    return [bp]


@hookimpl
def register_menu_items():
    return [MenuItem("Inventory backfills", "backfill_inventory.console", permission="admin", order=220)]
