"""Metadata of inventory backfills: runs, their batches (one per inventory file) and chunk logs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from olap.core.models import Base, utcnow

RUN_STATUSES = ("pending", "preparing", "running", "paused", "completed", "failed", "cancelled")
BATCH_STATUSES = ("pending", "queued", "running", "paused", "completed", "failed", "cancelled")
TERMINAL = ("completed", "failed", "cancelled")
ACTIVE_BATCH = ("queued", "running")


class InventoryRun(Base):
    """One load of the objects an S3 Inventory manifest lists into raw_events.

    The status and the counters are derived from the batches (see running.refresh_run);
    only pending, preparing and a failed preparation are set on the run itself.
    """

    __tablename__ = "inventory_runs"
    __table_args__ = (Index("ix_inventory_runs_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_url: Mapped[str] = mapped_column(Text)
    source_bucket: Mapped[str] = mapped_column(String(255), default="")
    inventory_bucket: Mapped[str] = mapped_column(String(255), default="")  # contains the manifest and its data files
    file_format: Mapped[str] = mapped_column(String(20), default="")
    file_schema: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    date_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_basis: Mapped[str] = mapped_column(String(20), default="key")
    chunk_size: Mapped[int] = mapped_column(Integer, default=25)
    concurrency: Mapped[int] = mapped_column(Integer, default=1)
    retries: Mapped[int] = mapped_column(Integer, default=1)
    optimize_after: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    batches_total: Mapped[int] = mapped_column(Integer, default=0)
    batches_by_status: Mapped[dict] = mapped_column(JSON, default=dict)
    objects_total: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_done: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_missing: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rejects: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")

    batches: Mapped[list["InventoryBatch"]] = relationship(back_populates="run", cascade="all, delete-orphan", passive_deletes=True, order_by="InventoryBatch.number")


class InventoryBatch(Base):
    """The objects listed in one inventory data file, loaded chunk by chunk.

    `keys_done` is the number of the file's selected keys (in file order) covered by
    finished chunks; a resumed batch starts there. `dispatch` grows each time the batch
    is queued, so only the job of the latest dispatch can claim it.
    """

    __tablename__ = "inventory_batches"
    __table_args__ = (UniqueConstraint("run_id", "number", name="uq_inventory_batch_number"), Index("ix_inventory_batches_run_status", "run_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("inventory_runs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    inventory_key: Mapped[str] = mapped_column(Text)
    inventory_size: Mapped[int] = mapped_column(BigInteger, default=0)
    inventory_md5: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    dispatch: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str] = mapped_column(String(100), default="")
    keys_total: Mapped[int] = mapped_column(BigInteger, default=0)
    keys_done: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    missing: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    rejects: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[InventoryRun] = relationship(back_populates="batches")

    @property
    def rows_written(self) -> int:
        return self.lines - self.rejects


class ChunkLog(Base):
    """One attempt at one chunk of a batch: its keys, query id, counts, time and error.

    A finished chunk's counts are exact for its keys (read back from raw_lines_seen and
    raw_events_rejected), so a chunk that ran twice is counted once: by its finished log.
    """

    __tablename__ = "inventory_chunk_logs"
    __table_args__ = (Index("ix_inventory_chunk_logs_batch", "batch_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("inventory_runs.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("inventory_batches.id", ondelete="CASCADE"))
    chunk_index: Mapped[int] = mapped_column(Integer)
    key_offset: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    query_id: Mapped[str] = mapped_column(String(100))
    keys: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))  # finished or failed
    objects: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rejects: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
