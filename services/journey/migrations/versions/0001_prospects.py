"""journey prospects, aliases, journal, relay position and processed events

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
        sa.Column("email", sa.String(320)),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        # Every click rewrites its prospect's row: free space on each page lets PostgreSQL update
        # in place (HOT), without new index entries and the bloat that slows reads until vacuum.
        postgresql_with={"fillfactor": 50, "autovacuum_vacuum_scale_factor": 0.02},
    )
    op.create_index("ix_journey_prospects_email", "journey_prospects", ["email"])
    op.create_table(
        "journey_aliases",
        sa.Column("alias", sa.String(200), primary_key=True),
        sa.Column("prospect_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_journey_aliases_prospect_id", "journey_aliases", ["prospect_id"])
    op.create_table(
        "journey_journal",
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
    op.create_index("ix_journey_journal_subject_id", "journey_journal", ["subject_id"])
    op.create_table(
        "journey_relay_position",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "journey_generation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "journey_processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "journey_processed_events",
        "journey_generation",
        "journey_relay_position",
        "journey_journal",
        "journey_aliases",
        "journey_prospects",
    ):
        op.drop_table(table)
