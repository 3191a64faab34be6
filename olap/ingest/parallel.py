"""Transform JSONL chunks in worker processes while the caller inserts earlier chunks.

transform_chunks() yields the transformed chunks of a line stream in order. With more
than one process, a shared ProcessPoolExecutor transforms the next chunks while the
caller is busy with the current one, so the transform and the inserts use separate cores.
Workers are forked from a forkserver that has imported only the transform, because
forking the caller itself would copy the threads of an embedded ClickHouse engine.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import Iterable, Iterator

from olap.ingest import mapping
from olap.ingest.transform import Transformed, transform_lines

logger = logging.getLogger(__name__)

# Number of transform processes when a call gives none; None means every CPU the process
# may run on. It is 1 (no worker processes) because on 2 shared cores two workers were
# slower than one process, and each idle pool keeps about 100 MB; a caller with idle cores
# passes processes=N.
DEFAULT_PROCESSES: int | None = 1
# Inputs of fewer chunks than this are transformed in the calling process, because
# starting the workers (1.3 s on the 2-core development machine under load) would cost
# more than they save.
MIN_POOL_CHUNKS = 3

_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_unavailable = False


def transform_chunks(
    lines: Iterable[bytes | str],
    source_file: str,
    source_etag: str = "",
    *,
    chunk_lines: int,
    max_line_bytes: int = mapping.DEFAULT_MAX_LINE_BYTES,
    processes: int | None = None,
) -> Iterator[tuple[int, int, Transformed]]:
    """Yield (chunk index, line count, transformed chunk) for each chunk of `chunk_lines` lines.

    `processes` is the number of worker processes; None takes DEFAULT_PROCESSES. With 1,
    with fewer than MIN_POOL_CHUNKS
    chunks, or where worker processes cannot start, chunks are transformed here. Results
    are the same either way.
    """
    if chunk_lines < 1:
        raise ValueError(f"chunk_lines must be at least 1, not {chunk_lines}")
    chunks = _chunks(lines, chunk_lines)
    head = list(islice(chunks, MIN_POOL_CHUNKS))
    workers = resolve_processes(processes)
    pool = shared_pool(workers) if workers > 1 and len(head) >= MIN_POOL_CHUNKS else None

    def transform(index: int, chunk: list) -> Transformed:
        return transform_lines(chunk, source_file, source_etag, first_line=index * chunk_lines + 1, max_line_bytes=max_line_bytes)

    if pool is None:
        for index, chunk in enumerate(chain(head, chunks)):
            yield index, len(chunk), transform(index, chunk)
        return

    # Up to `workers` chunks are in flight besides the one the caller is inserting. After
    # a pool failure the remaining chunks are transformed here.
    pending: deque[tuple[int, list, Future | None]] = deque()
    broken = False

    def finish(entry: tuple[int, list, Future | None]) -> tuple[int, int, Transformed]:
        nonlocal broken
        index, chunk, future = entry
        if future is not None:
            try:
                return index, len(chunk), future.result()
            except BrokenProcessPool as err:
                # The transform is deterministic, so redoing the chunk here gives the same result.
                if not broken:
                    logger.warning("ingest pool: worker processes failed at chunk %d, so the rest of %s is transformed in the calling process: %s", index, source_file, err)
                    shutdown_pool()
                broken = True
        return index, len(chunk), transform(index, chunk)

    try:
        for index, chunk in enumerate(chain(head, chunks)):
            future = None if broken else _submit(pool, chunk, source_file, source_etag, index * chunk_lines + 1, max_line_bytes)
            broken = broken or future is None
            pending.append((index, chunk, future))
            if len(pending) > workers:
                yield finish(pending.popleft())
        while pending:
            yield finish(pending.popleft())
    finally:
        for _, _, future in pending:
            if future is not None:
                future.cancel()


def resolve_processes(processes: int | None) -> int:
    """Return the number of transform processes: `processes`, else DEFAULT_PROCESSES, else the CPU count."""
    if processes is None:
        processes = DEFAULT_PROCESSES
    if processes is None:
        processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    return processes


def shared_pool(workers: int) -> ProcessPoolExecutor | None:
    """Return the process pool of `workers` workers, started on first use; None where processes cannot start.

    AWS Lambda, for one, has no /dev/shm, so the semaphores of a pool cannot be created.
    """
    global _pool, _pool_size, _pool_unavailable
    with _pool_lock:
        if _pool is not None and _pool_size == workers:
            return _pool
        if _pool_unavailable:
            return None
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["olap.ingest.transform"])
            _pool = ProcessPoolExecutor(workers, mp_context=context)
        except (OSError, NotImplementedError, ValueError) as err:
            logger.warning("ingest pool: worker processes cannot start, so chunks are transformed in the calling process: %s", err)
            _pool_unavailable = True
            return None
        _pool_size = workers
        logger.info("ingest pool: started %d transform workers", workers)
        return _pool


def shutdown_pool() -> None:
    """Stop the worker processes; the next call that needs them starts new ones."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


def worker_process_ids() -> list[int]:
    """Process ids of the running workers, for benchmarks that count their CPU time."""
    with _pool_lock:
        processes = getattr(_pool, "_processes", None) or {}
        return list(processes)


def _submit(pool: ProcessPoolExecutor, chunk: list, source_file: str, source_etag: str, first_line: int, max_line_bytes: int) -> Future | None:
    try:
        return pool.submit(transform_lines, chunk, source_file, source_etag, first_line=first_line, max_line_bytes=max_line_bytes)
    except (BrokenProcessPool, RuntimeError) as err:
        logger.warning("ingest pool: submitting a chunk of %s failed, so chunks are transformed in the calling process: %s", source_file, err)
        return None


def _chunks(lines: Iterable[bytes | str], size: int) -> Iterator[list[bytes | str]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk
