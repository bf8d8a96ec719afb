"""The OpenAPI document tells the truth about what `assemble` adds around every route: security
from the route's auth dependency, the app's own 422 shape, 401/403/413, for any service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from services import distributed, embedded
from services.alerts.main import create_app as alerts_app
from services.billing.main import create_app as billing_app
from services.common.app import ServiceParts, assemble
from services.common.auth import AdminSession, ConsultantSession, ProducerKey
from services.common.embedded_log import EmbeddedLog
from services.common.settings import CommonSettings
from services.content.main import create_app as content_app
from services.ingest.main import create_app as ingest_app
from services.journey.main import create_app as journey_app
from services.planning.main import create_app as planning_app
from services.projections.main import create_app as projections_app

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def new_service_document(tmp_path: Path) -> dict[str, Any]:
    """A service added later, with one route per kind of caller, assembled like every other."""
    api = APIRouter()

    @api.get("/v1/things/{thing_id}")
    async def read(thing_id: int, _who: ConsultantSession) -> dict[str, int]:
        return {"id": thing_id}

    @api.post("/v1/things")
    async def make(_who: ConsultantSession) -> dict[str, int]:
        return {"id": 1}

    @api.post("/v1/admin-things")
    async def admin_only(_who: AdminSession) -> dict[str, int]:
        return {"id": 1}

    @api.post("/v1/signals")
    async def signal(_key: ProducerKey) -> dict[str, int]:
        return {"id": 1}

    @api.get("/v1/public")
    async def public() -> dict[str, int]:
        return {"id": 1}

    app = assemble(
        "things",
        [ServiceParts("things", routers=[api])],
        EmbeddedLog(tmp_path / "events.db"),
        CommonSettings(),
        session_secret="s",
    )
    return app.openapi()


def error_codes(operation: dict[str, Any]) -> set[str]:
    return {code for code in operation["responses"] if code[0] in "45"}


def test_a_new_services_routes_declare_the_credential_their_dependency_asks_for(
    tmp_path: Path,
) -> None:
    paths = new_service_document(tmp_path)["paths"]
    session: list[dict[str, list[str]]] = [{"session": []}, {"sessionCookie": []}]
    assert paths["/v1/things/{thing_id}"]["get"]["security"] == session
    assert paths["/v1/admin-things"]["post"]["security"] == session
    assert paths["/v1/signals"]["post"]["security"] == [{"producerKey": []}]
    assert "security" not in paths["/v1/public"]["get"]


def test_a_new_services_routes_document_the_statuses_the_runtime_kit_answers(
    tmp_path: Path,
) -> None:
    paths = new_service_document(tmp_path)["paths"]
    # A read needs a session (401, 503 when sessions cannot be checked); its parameters can be
    # wrong (422). No 403: reads are not checked for cross-site requests, and any consultant
    # may read.
    assert error_codes(paths["/v1/things/{thing_id}"]["get"]) == {"401", "422", "503"}
    # A change sent with the cookie from elsewhere is a 403; any POST may carry a body (413).
    assert error_codes(paths["/v1/things"]["post"]) == {"401", "403", "413", "503"}
    assert error_codes(paths["/v1/admin-things"]["post"]) == {"401", "403", "413", "503"}
    assert error_codes(paths["/v1/signals"]["post"]) == {"401", "413"}
    assert error_codes(paths["/v1/public"]["get"]) == set()


def test_every_error_answer_is_documented_with_the_apps_own_shape(tmp_path: Path) -> None:
    doc = new_service_document(tmp_path)
    del doc["paths"]["/readyz"]  # its 503 is a readiness report
    for operation in (op for ops in doc["paths"].values() for op in ops.values()):
        for code in error_codes(operation):
            content = operation["responses"][code]["content"]
            assert content == {"application/json": {"schema": PROBLEM}}, code
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["detail"]
    assert set(schemas["Problem"]["properties"]) == {"detail", "errors"}
    schemes = {"session", "sessionCookie", "producerKey", "writeKey"}
    assert set(doc["components"]["securitySchemes"]) == schemes
    assert doc["components"]["securitySchemes"]["sessionCookie"]["name"] == "crm_session"


def test_the_products_bodies_read_by_hand_are_described(tmp_path: Path) -> None:
    doc = embedded.create_app(tmp_path).openapi()
    events = doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert events["schema"]["oneOf"] == [
        {"$ref": "#/components/schemas/SentEvent"},
        {"$ref": "#/components/schemas/SentBatch"},
    ]
    assert {"SentEvent", "SentBatch", "SentCtaClick"} <= set(doc["components"]["schemas"])
    csv = doc["paths"]["/v1/prospects/import"]["post"]["requestBody"]["content"]
    assert csv == {"text/csv": {"schema": {"type": "string"}}}
    stages = doc["paths"]["/v1/analytics/stages.csv"]["get"]["responses"]["200"]["content"]
    assert list(stages) == ["text/csv"]


def test_pages_are_not_in_the_api_document(tmp_path: Path) -> None:
    paths = embedded.create_app(tmp_path).openapi()["paths"]
    # The tracker's script is code for websites, as the widgets' are, not a page.
    assert [p for p in paths if not p.startswith("/v1/")] == ["/t.js", "/healthz", "/readyz"]


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(path, m): op for path, ops in doc["paths"].items() for m, op in ops.items()}


def test_each_service_served_alone_documents_its_operations_as_the_fuzzed_product_does(
    tmp_path: Path,
) -> None:
    """The fuzz test runs over the embedded product: this is why that covers `serve` too."""
    common = CommonSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/crm.db")
    fuzzed = operations(embedded.create_app(tmp_path / "embedded").openapi())
    alone = [
        ingest_app(common=common),
        journey_app(common=common),
        alerts_app(common=common),
        projections_app(common=common),
        planning_app(common=common),
        content_app(common=common),
        billing_app(common=common),
    ]
    served: dict[tuple[str, str], Any] = {}
    for app in alone:
        served.update(operations(app.openapi()))
    assert served == fuzzed
    assert operations(distributed.create_app(common).openapi()) == fuzzed
