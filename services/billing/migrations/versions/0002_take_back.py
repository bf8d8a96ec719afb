"""Stripe's ids of a completed checkout (to find the purchase a refund, cancellation or dispute
is about), the tier each CTA's clicks declare, and intents for gated playbooks

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STRIPE_IDS = ("subscription", "payment_intent", "customer", "invoice")


def upgrade() -> None:
    op.add_column("billing_intents", sa.Column("playbook_id", sa.String(200), nullable=True))
    for name in STRIPE_IDS:
        op.add_column("billing_intents", sa.Column(f"stripe_{name}", sa.String(255), nullable=True))
        op.create_index(f"ix_billing_intents_stripe_{name}", "billing_intents", [f"stripe_{name}"])
    op.create_table(
        "billing_cta_tiers",
        sa.Column("cta_id", sa.String(200), primary_key=True),
        sa.Column("required_tier", sa.String(100), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("billing_cta_tiers")
    for name in STRIPE_IDS:
        op.drop_index(f"ix_billing_intents_stripe_{name}", "billing_intents")
        op.drop_column("billing_intents", f"stripe_{name}")
    op.drop_column("billing_intents", "playbook_id")
