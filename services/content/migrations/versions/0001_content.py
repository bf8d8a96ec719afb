"""playbooks, cached copy, first views, journal and relay position

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
        "content_playbooks",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("version", sa.String(36), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "content_copies",
        sa.Column("playbook_id", sa.String(200), primary_key=True),
        sa.Column("variation_id", sa.String(36), nullable=False),
        sa.Column("copy", sa.Text, nullable=False),
        sa.Column("playbook_version", sa.String(36), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "content_views",
        sa.Column("playbook_id", sa.String(200), primary_key=True),
        sa.Column("visitor_id", sa.String(200), primary_key=True),
        sa.Column("variation_id", sa.String(36), primary_key=True),
        sa.Column("first_viewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "content_journal",
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
    op.create_index("ix_content_journal_subject_id", "content_journal", ["subject_id"])
    op.create_table(
        "content_relay_position",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "content_relay_position",
        "content_journal",
        "content_views",
        "content_copies",
        "content_playbooks",
    ):
        op.drop_table(table)
