"""jobs: the deployment namespace a job belongs to (Redis is rebuilt per namespace)

Revision ID: jobs_0003
Revises: jobs_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "jobs_0003"
down_revision: str | Sequence[str] | None = "jobs_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("namespace", sa.String(100), nullable=True))
    op.create_index("ix_jobs_namespace_created_at", "jobs", ["namespace", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_namespace_created_at", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("namespace")
