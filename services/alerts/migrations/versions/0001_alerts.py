"""alerts, prospects' contact context, journal, relay position and processed events

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
        "alerts_alerts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("prospect_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("urgent_since", sa.DateTime(timezone=True)),
        sa.Column("unanswered_escalated", sa.Boolean, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("ix_alerts_alerts_prospect_id", "alerts_alerts", ["prospect_id"])
    op.create_index("ix_alerts_alerts_raised_at_id", "alerts_alerts", ["raised_at", "id"])
    op.create_index("ix_alerts_alerts_status_expires_at", "alerts_alerts", ["status", "expires_at"])
    op.create_table(
        "alerts_prospects",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("merged_into", sa.String(200)),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_index("ix_alerts_prospects_merged_into", "alerts_prospects", ["merged_into"])
    op.create_table(
        "alerts_journal",
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
    op.create_index("ix_alerts_journal_subject_id", "alerts_journal", ["subject_id"])
    op.create_table(
        "alerts_relay_position",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "alerts_processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "alerts_processed_events",
        "alerts_relay_position",
        "alerts_journal",
        "alerts_prospects",
        "alerts_alerts",
    ):
        op.drop_table(table)
