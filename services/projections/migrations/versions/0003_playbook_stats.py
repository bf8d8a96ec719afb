"""gated playbook analytics: views, submissions and time to submit per playbook variation

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATS = "projections_playbook_stats"
PROCESSED = f"{STATS}_processed_events"


def upgrade() -> None:
    op.create_table(
        STATS,
        sa.Column("playbook_id", sa.String(200), primary_key=True),
        sa.Column("variation_id", sa.String(200), primary_key=True),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("submissions", sa.Integer, nullable=False),
        sa.Column("seconds_sum", sa.Float, nullable=False),
        sa.Column("seconds_count", sa.Integer, nullable=False),
    )
    op.create_table(
        PROCESSED,
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table(PROCESSED)
    op.drop_table(STATS)
