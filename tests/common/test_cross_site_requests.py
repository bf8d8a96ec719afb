"""Changes made with the session cookie, as a forged cross-site form, a foreign script and curl
send them, on the running embedded product: only the product's own pages' JSON gets through."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.common.auth import SESSION_COOKIE, ConsultantSession
from services.common.db import create_engine, sqlite_url
from services.common.sessions import Sessions
from services.common.settings import CommonSettings
from tests.processes import poll
from tests.product import SECRET, Product
from tests.sessions import session_token

EVIL = "http://evil.example"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def with_cookie(product: Product, role: str = "admin") -> httpx.Client:
    token = product.session(f"{role}@example.com", role)
    return httpx.Client(base_url=product.base, cookies={SESSION_COOKIE: token})


def status_of(product: Product, alert_id: str) -> str:
    return str(product.get(f"/v1/alerts/{alert_id}").json()["status"])


def changes(product: Product) -> list[tuple[str, dict[str, Any]]]:
    """Every state-changing route a consultant's cookie reaches, with a valid body."""
    prospect = f"v-csrf-{uuid.uuid4().hex[:8]}"
    click = {
        "type": "cta.clicked",
        "visitor_id": prospect,
        "occurred_at": datetime.now(UTC).isoformat(),
        "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": 5},
    }
    assert product.post(click).status_code == 202
    poll(lambda: product.prospect(prospect), lambda r: r.status_code == 200)
    return [
        (f"/v1/alerts/{product.pending_alert('v-csrf')}/acknowledge", {}),
        (f"/v1/alerts/{product.pending_alert('v-csrf')}/action", {"note": "called back"}),
        (f"/v1/prospects/{prospect}/stage", {"stage": 2, "reason": "asked for a quote"}),
        (f"/v1/prospects/{prospect}/roadmap-notes", {"text": "wants the enterprise plan"}),
        (
            "/v1/auth/consultants",
            {"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "a long enough password"},
        ),
        ("/v1/auth/logout", {}),
    ]


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({**FORM, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, "must be a JSON request"),
        ({"Content-Type": "text/plain", "Origin": EVIL}, "must be a JSON request"),
        ({**JSON, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, "this site's own pages"),
        ({**JSON, "Origin": EVIL}, "this site's own pages"),
        ({**JSON, "Origin": "null"}, "this site's own pages"),
        ({**JSON, "Sec-Fetch-Site": "same-site", "Origin": "http://crm.evil.example"}, "own pages"),
        (JSON, "this site's own pages"),
    ],
    ids=[
        "form",
        "text-plain",
        "cross-site-json",
        "foreign-origin",
        "null-origin",
        "same-site",
        "curl",
    ],
)
def test_a_change_with_the_cookie_from_elsewhere_is_refused_and_changes_nothing(
    product: Product, headers: dict[str, str], why: str
) -> None:
    alert = product.pending_alert("v-csrf")
    with with_cookie(product) as http:
        answer = http.post(
            f"/v1/alerts/{alert}/acknowledge",
            content=b"{}" if "json" in headers["Content-Type"] else b"x=1",
            headers=headers,
        )
    assert answer.status_code == 403
    assert why in answer.json()["detail"]
    assert status_of(product, alert) == "pending"


def test_every_route_that_changes_state_refuses_a_cross_site_form_with_the_cookie(
    product: Product,
) -> None:
    with with_cookie(product) as http:
        for path, _ in changes(product):
            answer = http.post(
                path,
                content=b"note=x",
                headers={**FORM, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
            )
            assert answer.status_code == 403, path
            assert "must be a JSON request" in answer.json()["detail"], path


def test_the_products_own_pages_change_state_with_the_cookie(product: Product) -> None:
    origin = product.base.rstrip("/")
    with with_cookie(product) as http:
        for n, (path, body) in enumerate(changes(product)):
            headers = {"Origin": origin, **({"Sec-Fetch-Site": "same-origin"} if n % 2 else {})}
            answer = http.post(path, json=body, headers=headers)
            assert answer.status_code < 300, (path, answer.text)


def test_a_bearer_token_changes_state_from_anywhere_as_api_clients_do(product: Product) -> None:
    alert = product.pending_alert("v-csrf")
    answer = httpx.post(
        f"{product.base}/v1/alerts/{alert}/acknowledge",
        headers={"Authorization": f"Bearer {product.token}", "Origin": EVIL},
    )
    assert answer.status_code == 200, answer.text
    assert status_of(product, alert) == "acknowledged"


def test_reading_with_the_cookie_needs_no_origin(product: Product) -> None:
    with with_cookie(product, "consultant") as http:
        answer = http.get("/v1/auth/me")
    assert answer.status_code == 200


async def test_a_configured_origin_may_change_state_with_the_cookie_and_others_may_not(
    tmp_path: Path,
) -> None:
    engine = create_engine(sqlite_url(tmp_path / "accounts.db"))
    app = FastAPI()
    app.state.session_secret = SECRET
    app.state.sessions = Sessions(engine)
    app.state.session_origins = CommonSettings(
        session_origins="https://admin.example.com/, https://ops.example.com"
    ).session_origins_allowed()

    @app.post("/change")
    async def change(who: ConsultantSession) -> str:
        return who.email

    token = await session_token(engine, SECRET, "ann@example.com")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://crm.internal", cookies={SESSION_COOKIE: token}
    ) as http:

        async def post(origin: str) -> int:
            headers = {**JSON, "Origin": origin, "Sec-Fetch-Site": "same-site"}
            return (await http.post("/change", content=b"{}", headers=headers)).status_code

        assert await post("https://admin.example.com") == 200
        assert await post("https://ops.example.com") == 200
        assert await post("https://other.example.com") == 403
