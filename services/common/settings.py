"""Settings every service shares, read from `CRM_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """Where the event log and the databases are, and the secrets that guard the API."""

    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_namespace: str = Field(default="", description="prefix on every topic and group name")
    database_url: str = "postgresql://postgres@127.0.0.1:55432/crm"
    accounts_database_url: str | None = Field(
        default=None,
        description="where the consultant accounts are (the alerts service's database), which "
        "every service asks whether a session still holds; defaults to CRM_DATABASE_URL",
    )
    data_dir: Path = Path(".crm-data")
    ingest_api_keys: SecretStr = SecretStr("")
    ingest_cors_origins: str = Field(default="*", description="comma-separated, for browsers")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="request bodies beyond this are refused (413)"
    )
    session_secret: SecretStr = SecretStr("")
    session_ttl_hours: int = Field(default=12, ge=1)
    session_origins: str = Field(
        default="",
        description="comma-separated origins, besides the product's own, whose pages may change "
        "state with the session cookie",
    )
    log_level: str = "INFO"

    def producer_keys(self) -> frozenset[str]:
        return frozenset(
            k.strip() for k in self.ingest_api_keys.get_secret_value().split(",") if k.strip()
        )

    def session_origins_allowed(self) -> frozenset[str]:
        return frozenset(
            o.strip().rstrip("/") for o in self.session_origins.split(",") if o.strip()
        )
