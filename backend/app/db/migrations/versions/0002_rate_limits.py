"""Rate-limit counters shared by every replica (used when REDIS_URL is not set).

Revision ID: 0002_rate_limits
Revises: 0001_initial
Create Date: 2025-11-24

Hand-written. One row per key (``inference:<user id>``), reset in place when its fixed window moves
on, so the table stays at one row per active user. See app/core/ratelimit.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_rate_limits"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_limits"),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
