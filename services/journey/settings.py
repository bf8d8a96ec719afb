from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JourneySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_JOURNEY_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    batch_size: int = Field(
        default=2000,
        ge=1,
        le=10_000,
        description="the most events one batch takes; under a backlog larger batches go faster "
        "(one instance: 7,700 clicks/s at 500, 10,000-11,700 at 2,000)",
    )
    rules_file: Path | None = Field(
        default=None, description="stages, thresholds, CTA points, decay"
    )
