from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.stages import FIRST_STAGE, LAST_STAGE
from services.common.rules_file import stage_names


class ProjectionsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_PROJECTIONS_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    batch_size: int = Field(default=500, ge=1, le=10_000)
    # The journey's own setting, so the stage names have one home: its rules file.
    journey_rules_file: Path | None = Field(
        default=None,
        validation_alias="CRM_JOURNEY_RULES_FILE",
        description="the journey's rules file, read for the stage names",
    )
    default_tier: str = Field(
        default="Explorer",
        min_length=1,
        max_length=100,
        description="the tier of a prospect the billing service has not upgraded",
    )
    conversion_stage: int = Field(
        default=4,
        ge=FIRST_STAGE + 1,
        le=LAST_STAGE,
        description="analytics: a prospect converted once it reached this stage (4: Commitment)",
    )
    inactive_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="analytics: days without activity after which a prospect counts as dropped off",
    )

    def names(self) -> tuple[str, ...]:
        """The stage names; a bad rules file raises RulesError naming the line."""
        return stage_names(self.journey_rules_file)
