"""the alert feed: one row per skip alert with its lifecycle's times, for response analytics

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FEED = "projections_alert_feed"
PROCESSED = f"{FEED}_processed_events"


def upgrade() -> None:
    op.create_table(
        FEED,
        sa.Column("alert_id", sa.String(36), primary_key=True),
        sa.Column("prospect_id", sa.String(200), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("target_stage", sa.Integer, nullable=False),
        sa.Column("gap", sa.Integer, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("repeats", sa.Integer, nullable=False),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(320)),
        sa.Column("actioned_at", sa.DateTime(timezone=True)),
        sa.Column("actioned_by", sa.String(320)),
        sa.Column("expired_at", sa.DateTime(timezone=True)),
    )
    op.create_index(f"ix_{FEED}_raised_at", FEED, ["raised_at"])
    op.create_table(
        PROCESSED,
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table(PROCESSED)
    op.drop_index(f"ix_{FEED}_raised_at", FEED)
    op.drop_table(FEED)
