from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ContentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_CONTENT_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    model: str = Field(default="claude-sonnet-4-5", min_length=1, description="Anthropic model")
    generation_budget_s: float = Field(
        default=10.0, gt=0, le=60, description="past this the gate answers with fallback copy"
    )
    cache_days: float = Field(default=7.0, gt=0, description="generated copy is served this long")
    max_tokens: int = Field(default=1024, ge=128, le=8192)
