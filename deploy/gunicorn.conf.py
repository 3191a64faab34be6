"""gunicorn settings of the olap web app: `gunicorn --config deploy/gunicorn.conf.py wsgi:app`."""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Dashboards wait for ClickHouse up to CLICKHOUSE_QUERY_TIMEOUT (30 s by default).
timeout = 60
accesslog = "-"


def on_starting(server):
    # prometheus_client's multiprocess mode keeps one file per worker in this folder;
    # files of a previous run would be summed into the new one.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
