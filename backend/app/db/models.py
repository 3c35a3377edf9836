"""ORM models: users, inferences, their idempotency keys and the course catalog."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
INFERENCE_KINDS = ("predict", "whatif")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A Supabase user, keyed by the token's ``sub``; created the first time a ``sub`` is seen."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Inference(Base):
    __tablename__ = "inferences"
    __table_args__ = (
        CheckConstraint("kind IN ('predict', 'whatif')", name="kind"),
        # /history's order and its since/until bounds; the other two back its cod_curso and kind filters.
        Index("ix_inferences_user_id_created_at", "user_id", "created_at"),
        Index("ix_inferences_user_id_cod_curso_created_at", "user_id", "cod_curso", "created_at"),
        Index("ix_inferences_user_id_kind_created_at", "user_id", "kind", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    cod_curso: Mapped[str] = mapped_column(String(32), nullable=False)
    input: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    output: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    version: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` a user sent with a /predict or /whatif, and the inference it stored.

    Written in the same statement (or transaction) as the inference, so both commit or neither does.
    The key is the client's, unique per user; ``request_hash`` tells a retry (same body) from a reuse
    of the key for another request (a 422). Rows older than IDEMPOTENCY_KEY_TTL_SECONDS are ignored
    and pruned."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("ix_idempotency_keys_created_at", "created_at"),
        # Deleting an inference finds its key by this index (ON DELETE CASCADE), not by a scan.
        Index("ix_idempotency_keys_inference_id", "inference_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    inference_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inferences.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Course(Base):
    __tablename__ = "courses"

    cod_curso: Mapped[str] = mapped_column(String(32), primary_key=True)
    nombre: Mapped[str] = mapped_column(String(200), nullable=False)
    creditos: Mapped[int] = mapped_column(Integer, nullable=False)
    familia: Mapped[str | None] = mapped_column(String(100))
    nivel: Mapped[int | None] = mapped_column(Integer)


class RateLimitCounter(Base):
    """One fixed-window request counter per rate-limit key (see app/core/ratelimit.py).

    One row per key, reused window after window, so the table never grows past one row per user.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
