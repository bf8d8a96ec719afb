"""Facts the websites report, as accepted by ingest (topic `crm.web`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Email, Event, Stage
from schemas.values import Cta, Utm


class CtaClickedV1(Event):
    """A visitor clicked a call to action. `subject_id` is the website's visitor id."""

    type: Literal["cta.clicked.v1"] = "cta.clicked.v1"
    email: Email | None = None
    cta: Cta
    page: str | None = Field(default=None, max_length=2000)
    utm: Utm = Utm()


class InquirySubmittedV1(Event):
    """A visitor submitted an inquiry form; it links an email and always captures an entry point."""

    type: Literal["inquiry.submitted.v1"] = "inquiry.submitted.v1"
    email: Email
    form_id: str = Field(min_length=1, max_length=200)
    page: str | None = Field(default=None, max_length=2000)
    utm: Utm = Utm()


class VisitorIdentifiedV1(Event):
    """The website learnt the email behind a visitor id (login, newsletter, ...)."""

    type: Literal["visitor.identified.v1"] = "visitor.identified.v1"
    email: Email


class ProspectImportedV1(Event):
    """A contact that predates go-live was imported; it has no entry point."""

    type: Literal["prospect.imported.v1"] = "prospect.imported.v1"
    email: Email | None = None
    name: str | None = Field(default=None, max_length=300)
    stage: Stage = 1
    points: int = Field(default=0, ge=0)
    import_id: str = Field(min_length=1, max_length=200)
