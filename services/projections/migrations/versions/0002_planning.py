"""the planning review: time per stage on the board, and consultants' roadmap notes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BOARD = "projections_board_v1"
NOTES = "projections_roadmap_notes"


def upgrade() -> None:
    op.add_column(BOARD, sa.Column("stage_periods", sa.JSON))
    op.create_table(
        NOTES,
        sa.Column("note_id", sa.String(36), primary_key=True),
        sa.Column("prospect_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(f"ix_{NOTES}_prospect", NOTES, ["prospect_id", "recorded_at"])


def downgrade() -> None:
    op.drop_table(NOTES)
    op.drop_column(BOARD, "stage_periods")
