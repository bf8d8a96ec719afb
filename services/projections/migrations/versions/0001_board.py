"""the consultants' board, version 1: rows, ids merged away, processed events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BOARD = "projections_board_v1"


def upgrade() -> None:
    op.create_table(
        BOARD,
        sa.Column("prospect_id", sa.String(200), primary_key=True),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_stage_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("imported", sa.Boolean, nullable=False),
        sa.Column("clicks", sa.Integer, nullable=False),
        sa.Column("entry_kind", sa.String(20)),
        sa.Column("entry_cta_id", sa.String(200)),
        sa.Column("entry_cta_label", sa.String(500)),
        sa.Column("entry_form_id", sa.String(200)),
        sa.Column("entry_page", sa.String(2000)),
        sa.Column("utm_source", sa.String(200)),
        sa.Column("utm_medium", sa.String(200)),
        sa.Column("utm_campaign", sa.String(200)),
        sa.Column("entry_captured_at", sa.DateTime(timezone=True)),
    )
    op.create_index(f"ix_{BOARD}_last_activity", BOARD, ["last_activity_at", "prospect_id"])
    op.create_index(
        f"ix_{BOARD}_stage_last_activity", BOARD, ["stage", "last_activity_at", "prospect_id"]
    )
    op.create_index(f"ix_{BOARD}_entry_cta_id", BOARD, ["entry_cta_id"])
    op.create_index(f"ix_{BOARD}_utm_campaign", BOARD, ["utm_campaign"])
    op.create_table(
        f"{BOARD}_merged",
        sa.Column("prospect_id", sa.String(200), primary_key=True),
        sa.Column("merged_into", sa.String(200), nullable=False),
    )
    op.create_table(
        f"{BOARD}_processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (f"{BOARD}_processed_events", f"{BOARD}_merged", BOARD):
        op.drop_table(table)
