"""Background jobs on RQ: a Redis server in production, an in-process stand-in when embedded.

The embedded ClickHouse engine lets one process open its data folder, so with `chdb://`
the jobs run in worker threads inside the web process. RQ's default death penalty uses
SIGALRM, which only the main thread may set, so thread workers use TimerDeathPenalty and
install no signal handlers. The job functions, retries and job metadata are the same in
both modes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import fakeredis
import redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job as RQJob
from rq.timeouts import TimerDeathPenalty

from olap.core.errors import ConfigError, JobError

logger = logging.getLogger(__name__)

QUEUE_NAME = "olap"
_embedded_servers: dict[str, fakeredis.FakeServer] = {}


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job inside the Flask app context of this process."""

    app: Any = None

    def perform_job(self, job, queue, execution):  # noqa: D102 - RQ's own contract
        with self.app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                self.app.extensions["olap"].db.remove_session()


class ThreadWorker(AppWorker):
    """An AppWorker that can run in a non-main thread."""

    death_penalty_class = TimerDeathPenalty

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        # RQ's dequeue loop only ends when a job arrives; polling in one-second rounds
        # lets stop_threads() end an idle thread within about a second.
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(1, max_idle_time=1)
            if result is not None or timeout is None:
                return result
        return None

    def _install_signal_handlers(self) -> None:
        # Signal handlers can only be installed from the main thread; the web process
        # stops these workers through request_thread_stop() instead.
        pass

    def request_thread_stop(self) -> None:
        self._stop_requested = True


def redis_connection(url: str, instance_key: str) -> redis.Redis:
    """Return a Redis connection for `url`, or the in-process stand-in of this instance when empty."""
    if not url:
        server = _embedded_servers.setdefault(instance_key, fakeredis.FakeServer())
        return fakeredis.FakeRedis(server=server)
    try:
        connection = redis.Redis.from_url(url)
    except ValueError as err:
        raise ConfigError(f"REDIS_URL={url!r} is invalid ({err}); use redis://host:6379/0.") from err
    return connection


class Jobs:
    """The job queue of one olap instance and, when embedded, its worker threads."""

    def __init__(self, app: Any, redis_url: str, instance_key: str, registry_jobs: dict):
        self.app = app
        self.redis_url = redis_url
        self.connection = redis_connection(redis_url, instance_key)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, death_penalty_class=TimerDeathPenalty)
        self.registered = registry_jobs
        self._threads: list[tuple[threading.Thread, ThreadWorker]] = []

    def check_reachable(self) -> None:
        try:
            self.connection.ping()
        except redis.RedisError as err:
            raise JobError(f"Redis at {self.redis_url} is unreachable ({err}); start it or unset REDIS_URL for the in-process queue.") from err

    def enqueue(self, job_name: str, *args: Any, job_id: str | None = None, meta: dict | None = None, retries: int = 0, **kwargs: Any) -> RQJob:
        """Enqueue a registered job by name, with its declared timeout and result TTL."""
        job = self.registered.get(job_name)
        if job is None:
            raise JobError(f"Unknown job {job_name!r}; known jobs: {', '.join(sorted(self.registered)) or 'none'}.")
        enqueued = self.queue.enqueue(
            job.function,
            args=args,
            job_id=job_id,
            job_timeout=job.timeout_seconds,
            result_ttl=job.result_ttl_seconds,
            failure_ttl=job.result_ttl_seconds,
            meta={"olap_job": job_name, **(meta or {})},
            retry=Retry(max=retries) if retries else None,
            kwargs=kwargs,
        )
        logger.info("job %s: enqueued %s", enqueued.id, job_name)
        return enqueued

    def fetch(self, job_id: str) -> RQJob | None:
        try:
            return RQJob.fetch(job_id, connection=self.connection)
        except Exception:  # rq raises NoSuchJobError, or a deserialisation error for a foreign key
            return None

    def worker(self, thread: bool = False) -> AppWorker:
        """Return a worker bound to this app, for a thread or for the main thread of `olap worker`."""
        worker_class = ThreadWorker if thread else AppWorker
        worker = worker_class([self.queue], connection=self.connection)
        worker.app = self.app
        return worker

    def start_threads(self, count: int) -> None:
        """Start `count` worker threads in this process (embedded mode)."""
        for number in range(count):
            worker = self.worker(thread=True)
            thread = threading.Thread(target=self._run_thread, args=(worker,), name=f"olap-worker-{number}", daemon=True)
            thread.start()
            self._threads.append((thread, worker))
        if count:
            logger.info("jobs: started %d worker threads in this process", count)

    @staticmethod
    def _run_thread(worker: ThreadWorker) -> None:
        try:
            worker.work(burst=False, logging_level="WARNING")
        except Exception:
            logger.exception("worker %s: stopped by an unexpected error", worker.name)

    def stop_threads(self, timeout: float = 10) -> None:
        for _thread, worker in self._threads:
            worker.request_thread_stop()
        for thread, _worker in self._threads:
            thread.join(timeout)
        self._threads = []

    def run_burst(self) -> bool:
        """Run every queued job in this thread until the queue is empty; return whether any ran."""
        return self.worker(thread=True).work(burst=True, logging_level="WARNING")
