from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_INGEST_", extra="ignore")

    database_url: str | None = Field(default=None, description="defaults to CRM_DATABASE_URL")
    key_events_per_second: float = Field(
        default=200, ge=0, description="events each producer key may post per second; 0: no limit"
    )
    key_burst: int = Field(
        default=2000, ge=1, description="events a producer key may post at once, after a pause"
    )
    fingerprint_retention_days: float = Field(
        default=30,
        gt=0,
        description="how long a client event id stays bound to its body; later, a reused id "
        "is dropped downstream as a duplicate instead of refused",
    )
    publish_bound_s: float = Field(
        default=1.5,
        gt=0,
        description="a request whose events the event log has not taken within this many "
        "seconds is answered 503 with Retry-After (the events may still arrive; retries with "
        "the same event ids count once)",
    )
    segment_click_event: str = Field(
        default="CTA Clicked",
        min_length=1,
        description="the Segment `track` event that is a CTA click",
    )
    segment_form_event: str = Field(
        default="Form Submitted",
        min_length=1,
        description="the Segment `track` event that is an inquiry form",
    )
