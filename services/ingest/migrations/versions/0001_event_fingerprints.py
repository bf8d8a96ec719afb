"""fingerprints of the events producers sent with their own event ids

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
        "ingest_event_fingerprints",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_ingest_event_fingerprints_first_seen_at",
        "ingest_event_fingerprints",
        ["first_seen_at"],
    )


def downgrade() -> None:
    op.drop_table("ingest_event_fingerprints")
