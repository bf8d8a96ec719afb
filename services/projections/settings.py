from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.projections.models.board import STAGE_NAMES


class ProjectionsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_PROJECTIONS_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    batch_size: int = Field(default=500, ge=1, le=10_000)
    stage_names: str = Field(
        default=",".join(STAGE_NAMES),
        description="the six stage names, comma-separated, as the journey's rules name them",
    )
    default_tier: str = Field(
        default="Explorer",
        min_length=1,
        max_length=100,
        description="the tier of a prospect the billing service has not upgraded",
    )
    conversion_stage: int = Field(
        default=4,
        ge=2,
        le=6,
        description="analytics: a prospect converted once it reached this stage (4: Commitment)",
    )
    inactive_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="analytics: days without activity after which a prospect counts as dropped off",
    )

    @field_validator("stage_names")
    @classmethod
    def _six_names(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",")]
        if len(names) != 6 or not all(names):
            raise ValueError("give exactly six non-empty stage names, comma-separated")
        return ",".join(names)

    def names(self) -> tuple[str, ...]:
        return tuple(self.stage_names.split(","))
