"""Indexes for /history's filters, and for deleting an inference's idempotency key.

Revision ID: 0005_history_filter_indexes
Revises: 0004_idempotency_keys
Create Date: 2026-11-27

Hand-written. /history filters a user's rows by cod_curso or kind, newest or oldest first:
(user_id, cod_curso, created_at) and (user_id, kind, created_at) give those rows in order, as
(user_id, created_at) already does for since/until alone. Deleting inferences (DELETE /history,
one or all) cascades to idempotency_keys by inference_id, which had no index: each deleted row
would have cost a scan of that table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_history_filter_indexes"
down_revision: str | None = "0004_idempotency_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_inferences_user_id_cod_curso_created_at", "inferences", ["user_id", "cod_curso", "created_at"]),
    ("ix_inferences_user_id_kind_created_at", "inferences", ["user_id", "kind", "created_at"]),
    ("ix_idempotency_keys_inference_id", "idempotency_keys", ["inference_id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
