"""run store: runs, run_files and run_latest (RUN_STORE=postgres; tables defined in runcontract/store.py)

Revision ID: 0002_run_store
Revises: 0001_initial
Create Date: 2026-03-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_run_store"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("data_source", sa.Text(), nullable=False),
        sa.Column("assets", JSON, nullable=False),
        sa.Column("horizons", JSON, nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("bundle", JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_published_at"), "runs", ["published_at"])
    op.create_table(
        "run_files",
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_run_files_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "path", name=op.f("pk_run_files")),
    )
    op.create_table(
        "run_latest",
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("run_id", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("slot = 1", name=op.f("ck_run_latest_single_row")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_run_latest_run_id_runs")),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_run_latest")),
    )


def downgrade() -> None:
    op.drop_table("run_latest")
    op.drop_table("run_files")
    op.drop_index(op.f("ix_runs_published_at"), table_name="runs")
    op.drop_table("runs")
