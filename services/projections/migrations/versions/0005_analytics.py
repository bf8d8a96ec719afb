"""analytics: each prospect's stage transitions, and the highest stage it reached

Rows already on the board are backfilled from their `stage_periods` (rows from before 0002 have
none: their transitions come with a rebuild).

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BOARD = "projections_board_v1"
TRANSITIONS = f"{BOARD}_transitions"
CHUNK = 2000


def upgrade() -> None:
    with op.batch_alter_table(BOARD) as batch:
        batch.add_column(sa.Column("peak_stage", sa.Integer))
    op.create_index(
        f"ix_{BOARD}_cohort", BOARD, ["created_at", "stage", "last_activity_at", "peak_stage"]
    )
    transitions = op.create_table(
        TRANSITIONS,
        sa.Column("prospect_id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("from_stage", sa.Integer, nullable=False),
        sa.Column("to_stage", sa.Integer, nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index(
        f"ix_{TRANSITIONS}_stage_moved",
        TRANSITIONS,
        ["from_stage", "moved_at", "to_stage", "seconds"],
    )
    op.create_index(
        f"ix_{TRANSITIONS}_stage_seconds",
        TRANSITIONS,
        ["from_stage", "seconds", "to_stage", "moved_at"],
    )
    assert transitions is not None
    _backfill(transitions)


def _backfill(transitions: sa.Table) -> None:
    board = sa.table(
        BOARD,
        sa.column("prospect_id", sa.String),
        sa.column("stage", sa.Integer),
        sa.column("stage_periods", sa.JSON),
        sa.column("peak_stage", sa.Integer),
    )
    bind = op.get_bind()
    found = bind.execute(sa.select(board.c.prospect_id, board.c.stage, board.c.stage_periods))
    peaks: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    for pid, stage, stored in found.all():
        periods = [_period(p) for p in stored or ()]
        peaks.append({"pid": pid, "peak": max([stage, *(p[0] for p in periods)])})
        for seq, (current, following) in enumerate(pairwise(periods)):
            moved = current[2] or following[1]
            facts.append(
                {
                    "prospect_id": pid,
                    "seq": seq,
                    "from_stage": current[0],
                    "to_stage": following[0],
                    "entered_at": current[1],
                    "moved_at": moved,
                    "seconds": max(0.0, (moved - current[1]).total_seconds()),
                }
            )
    update = (
        sa.update(board)
        .where(board.c.prospect_id == sa.bindparam("pid"))
        .values(peak_stage=sa.bindparam("peak"))
    )
    for start in range(0, len(peaks), CHUNK):
        bind.execute(update, peaks[start : start + CHUNK])
    for start in range(0, len(facts), CHUNK):
        bind.execute(transitions.insert(), facts[start : start + CHUNK])


def _period(stored: list[Any]) -> tuple[int, datetime, datetime | None]:
    stage, entered, left = stored
    return int(stage), _utc(entered), _utc(left) if left else None


def _utc(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def downgrade() -> None:
    op.drop_table(TRANSITIONS)
    op.drop_index(f"ix_{BOARD}_cohort", BOARD)
    with op.batch_alter_table(BOARD) as batch:
        batch.drop_column("peak_stage")
