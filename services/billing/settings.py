from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_BILLING_", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    tiers_file: Path | None = Field(default=None, description="YAML tier ladder; else defaults")
    success_url: str = Field(
        default="http://127.0.0.1:8000/?checkout=success",
        description="where Checkout sends the prospect after paying (unless the request says)",
    )
    cancel_url: str = Field(default="http://127.0.0.1:8000/?checkout=cancelled")
    checkouts_per_prospect_per_hour: int = Field(
        default=10, ge=0, description="Checkout Sessions one prospect may start an hour (0: any)"
    )
    sales_requests_per_prospect_per_hour: int = Field(
        default=5, ge=0, description="Talk to Sales requests one prospect may send an hour (0: any)"
    )
    # Stripe's own names, as the Stripe tools read them.
    stripe_api_key: SecretStr = Field(default=SecretStr(""), validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias="STRIPE_WEBHOOK_SECRET"
    )
    stripe_api_base: str = Field(
        default="https://api.stripe.com", validation_alias="STRIPE_API_BASE"
    )
