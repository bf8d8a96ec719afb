"""which version of each read model reads use: a rebuild fills fresh tables, then switches here

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VERSIONS = "projections_read_models"


def upgrade() -> None:
    table = op.create_table(
        VERSIONS,
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("active", sa.String(100), nullable=False),
        sa.Column("switched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(
        table,
        [{"name": "board", "active": "projections_board_v1", "switched_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table(VERSIONS)
