"""journey prospects and processed events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_prospects",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("entry_point", sa.JSON),
        sa.Column("clicks", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_journey_prospects_email", "journey_prospects", ["email"])
    op.create_table(
        "journey_processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("journey_processed_events")
    op.drop_index("ix_journey_prospects_email", "journey_prospects")
    op.drop_table("journey_prospects")
