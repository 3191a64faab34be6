"""Saved custom queries: a user's named SQL and chart spec for one section or project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from olap.core.models import Base, utcnow


class SavedQuery(Base):
    """A custom query a user saved for one scope; names are unique per user and scope."""

    __tablename__ = "saved_queries"
    __table_args__ = (UniqueConstraint("user_id", "scope_kind", "scope_id", "name", name="uq_saved_query_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    sql: Mapped[str] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
