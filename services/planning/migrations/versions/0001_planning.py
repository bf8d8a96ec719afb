"""known prospects, journal, relay position and processed events

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
        "planning_prospects",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("merged_into", sa.String(200)),
    )
    op.create_table(
        "planning_journal",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_planning_journal_subject_id", "planning_journal", ["subject_id"])
    op.create_table(
        "planning_relay_position",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "planning_processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "planning_processed_events",
        "planning_relay_position",
        "planning_journal",
        "planning_prospects",
    ):
        op.drop_table(table)
