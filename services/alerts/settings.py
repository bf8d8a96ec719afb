from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_ALERTS_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    batch_size: int = Field(default=500, ge=1, le=10_000)
    escalate_after_minutes: float = Field(
        default=60, gt=0, description="an URGENT alert pending this long is escalated once"
    )
    sweep_interval_seconds: float = Field(
        default=30, gt=0, description="how often expiry and escalation are checked"
    )
