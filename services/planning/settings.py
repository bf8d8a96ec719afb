from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlanningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_PLANNING_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    batch_size: int = Field(default=500, ge=1, le=10_000)
