"""Background jobs: worker threads on the in-process Redis stand-in, and a worker on real Redis."""

from __future__ import annotations

import time

import pytest

from olap.core.errors import JobError


def wait_for(job, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status in ("finished", "failed"):
            return status
        time.sleep(0.05)
    return job.get_status(refresh=True)


@pytest.fixture
def embedded_app(example_plugin, olap_env, tmp_path):
    from olap.core.app import create_app

    app = create_app({**olap_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}", "OLAP_WORKER_THREADS": "2"})
    yield app
    app.extensions["olap"].close()


def test_thread_workers_run_plugin_job(embedded_app):
    jobs = embedded_app.extensions["olap"].jobs

    job = jobs.enqueue("example.count_to", 100, job_id="count-100")

    assert wait_for(job) == "finished"
    job.refresh()
    assert job.return_value() == 5050
    assert job.meta["olap_job"] == "example.count_to"
    assert job.meta["progress"] == 1.0
    assert job.timeout == 30
    assert jobs.fetch("count-100").id == "count-100"


def test_two_thread_workers_run_in_parallel(embedded_app):
    jobs = embedded_app.extensions["olap"].jobs

    enqueued = [jobs.enqueue("example.count_to", number) for number in (10, 20, 30, 40)]

    assert [wait_for(job) for job in enqueued] == ["finished"] * 4
    assert [job.return_value() for job in enqueued] == [55, 210, 465, 820]
    assert len({job.worker_name for job in enqueued}) >= 1


def test_unknown_job_is_rejected(embedded_app):
    with pytest.raises(JobError, match="Unknown job 'nope'"):
        embedded_app.extensions["olap"].jobs.enqueue("nope")


def test_real_redis_worker_runs_job(example_plugin, olap_env, tmp_path, redis_url):
    import redis

    from olap.core.app import create_app

    redis.Redis.from_url(redis_url).flushdb()
    app = create_app({**olap_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}", "REDIS_URL": redis_url}, start_workers=False)
    jobs = app.extensions["olap"].jobs
    try:
        job = jobs.enqueue("example.count_to", 7)
        assert job.get_status(refresh=True) == "queued"

        ran = jobs.worker(thread=False).work(burst=True)

        assert ran is True
        assert job.get_status(refresh=True) == "finished"
        assert job.return_value() == 28
    finally:
        redis.Redis.from_url(redis_url).flushdb()
        app.extensions["olap"].close()
