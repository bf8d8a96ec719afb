"""each prospect's tier, from the billing service's upgrades

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIERS = "projections_tiers"
PROCESSED = f"{TIERS}_processed_events"


def upgrade() -> None:
    op.create_table(
        TIERS,
        sa.Column("prospect_id", sa.String(200), primary_key=True),
        sa.Column("tier", sa.String(100), nullable=False),
        sa.Column("upgraded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        PROCESSED,
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table(PROCESSED)
    op.drop_table(TIERS)
