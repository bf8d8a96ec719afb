"""revocable sessions: a token version per account, and sessions ended by logout

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts_consultants") as table:
        table.add_column(sa.Column("token_version", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "alerts_ended_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("alerts_ended_sessions")
    with op.batch_alter_table("alerts_consultants") as table:
        table.drop_column("token_version")
