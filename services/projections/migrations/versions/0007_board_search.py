"""the board's search box: trigram indexes on lower(prospect_id) and lower(email), PostgreSQL only

Board versions made later by `crm-journey replay projections` get them from `board_tables`.

Revision ID: 0007
Revises: 0006
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VERSION = re.compile(r"^projections_board_v\d+$")
COLUMNS = ("prospect_id", "email")


def _boards() -> list[str]:
    return [n for n in sa.inspect(op.get_bind()).get_table_names() if VERSION.match(n)]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for board in _boards():
        for column in COLUMNS:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_{board}_{column}_trgm "
                f"ON {board} USING gin (lower({column}) gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for board in _boards():
        for column in COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_{board}_{column}_trgm")
