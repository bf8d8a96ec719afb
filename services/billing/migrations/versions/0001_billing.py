"""upgrade intents, processed Stripe events, journal and relay position

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
        "billing_intents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("prospect_id", sa.String(200), nullable=False),
        sa.Column("cta_id", sa.String(200), nullable=True),
        sa.Column("current_tier", sa.String(100), nullable=False),
        sa.Column("required_tier", sa.String(100), nullable=False),
        sa.Column("checkout_session_id", sa.String(255), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "billing_stripe_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "billing_journal",
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
    op.create_index("ix_billing_journal_subject_id", "billing_journal", ["subject_id"])
    op.create_table(
        "billing_relay_position",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "billing_relay_position",
        "billing_journal",
        "billing_stripe_events",
        "billing_intents",
    ):
        op.drop_table(table)
