"""The journey's stages: their numbers, and their names unless a rules file renames them."""

from __future__ import annotations

STAGES = range(1, 7)
FIRST_STAGE, LAST_STAGE = STAGES[0], STAGES[-1]
DEFAULT_STAGE_NAMES = (
    "Call to Discovery",
    "Exploration",
    "Validation",
    "Commitment",
    "Construction",
    "Mastery",
)
