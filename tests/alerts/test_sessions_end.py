"""How sessions end: logout ends one, and any change to an account (password, role, disabling,
removal) ends all of its sessions at once, on SQLite and PostgreSQL; a login sent by another
site's page is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts.access import accounts_router
from services.alerts.accounts import MIGRATIONS, add_consultant, list_accounts
from services.alerts.throttle import LoginThrottle
from services.common.auth import issue_token
from services.common.db import create_engine, migrate, sqlite_url
from services.common.sessions import Sessions
from tests.alerts.serving import SECRET, database_url

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse correct"


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[AsyncEngine]:
    server = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    engine = create_engine(await database_url(request.param, tmp_path, server, f"ends_{unique}"))
    await migrate(engine, "alerts", MIGRATIONS)
    await add_consultant(engine, "boss@example.com", PASSWORD, "admin")
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    yield engine
    await engine.dispose()


def client(engine: AsyncEngine, sessions: Sessions | None = None) -> httpx.AsyncClient:
    app = FastAPI()
    app.state.session_secret = SECRET
    app.state.sessions = sessions or Sessions(engine)
    app.state.session_origins = frozenset()
    app.include_router(accounts_router(engine, SECRET, 3600, throttle=LoginThrottle()))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://crm.test")


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    answer = await http.post("/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    http.cookies.clear()
    return str(answer.json()["token"])


async def version_of(engine: AsyncEngine, email: str) -> int:
    return next(a.token_version for a in await list_accounts(engine) if a.email == email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def me(http: httpx.AsyncClient, token: str) -> int:
    return (await http.get("/v1/auth/me", headers=bearer(token))).status_code


async def test_logging_out_ends_that_session_at_once_and_leaves_the_others(
    engine: AsyncEngine,
) -> None:
    async with client(engine) as http:
        laptop, phone = await login(http, "ann@example.com"), await login(http, "ann@example.com")
        out = await http.post("/v1/auth/logout", headers=bearer(laptop))
        again = await http.post("/v1/auth/logout", headers=bearer(laptop))
        assert (out.status_code, again.status_code) == (204, 204)
        assert (await me(http, laptop), await me(http, phone)) == (401, 200)
        ended = await http.get("/v1/auth/me", headers=bearer(laptop))
    assert "ended" in ended.json()["detail"]


async def test_logging_out_everywhere_ends_every_session_of_the_account(
    engine: AsyncEngine,
) -> None:
    async with client(engine) as http:
        laptop, phone = await login(http, "ann@example.com"), await login(http, "ann@example.com")
        boss = await login(http, "boss@example.com")
        out = await http.post("/v1/auth/logout?everywhere=true", headers=bearer(laptop))
        assert out.status_code == 204
        assert (await me(http, laptop), await me(http, phone), await me(http, boss)) == (
            401,
            401,
            200,
        )
        # A session that had already ended cannot end the owner's new ones.
        fresh = await login(http, "ann@example.com")
        await http.post("/v1/auth/logout?everywhere=true", headers=bearer(laptop))
        assert await me(http, fresh) == 200


async def test_changing_ones_password_ends_every_session_and_gives_this_one_a_new_token(
    engine: AsyncEngine,
) -> None:
    async with client(engine) as http:
        laptop, phone = await login(http, "ann@example.com"), await login(http, "ann@example.com")
        wrong = await http.post(
            "/v1/auth/password",
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=bearer(laptop),
        )
        changed = await http.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(laptop),
        )
        assert (wrong.status_code, changed.status_code) == (403, 200)
        renewed = changed.json()["token"]
        assert (await me(http, laptop), await me(http, phone), await me(http, renewed)) == (
            401,
            401,
            200,
        )
        old = await http.post(
            "/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
        assert old.status_code == 401
        assert await login(http, "ann@example.com", NEW_PASSWORD)


async def test_an_admin_changing_the_role_disabling_or_removing_an_account_ends_its_sessions(
    engine: AsyncEngine,
) -> None:
    async with client(engine) as http:
        admin = bearer(await login(http, "boss@example.com"))
        ann = await login(http, "ann@example.com")
        promoted = await http.patch(
            "/v1/auth/consultants/ann@example.com", json={"role": "admin"}, headers=admin
        )
        assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
        assert await me(http, ann) == 401
        ann = await login(http, "ann@example.com")
        assert (await http.get("/v1/auth/me", headers=bearer(ann))).json()["role"] == "admin"

        disabled = await http.patch(
            "/v1/auth/consultants/ann@example.com", json={"disabled": True}, headers=admin
        )
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert await me(http, ann) == 401
        refused = await http.post(
            "/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
        assert refused.status_code == 401

        await http.patch(
            "/v1/auth/consultants/ann@example.com", json={"disabled": False}, headers=admin
        )
        ann = await login(http, "ann@example.com")
        removed = await http.delete("/v1/auth/consultants/ann@example.com", headers=admin)
        gone = await http.delete("/v1/auth/consultants/ann@example.com", headers=admin)
        assert (removed.status_code, gone.status_code) == (204, 404)
        assert await me(http, ann) == 401
        listed = (await http.get("/v1/auth/consultants", headers=admin)).json()
        assert [a["email"] for a in listed] == ["boss@example.com"]
        # Added again under the same email, the old account's sessions stay ended.
        await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
        assert await me(http, ann) == 401


async def test_the_last_enabled_admin_cannot_be_disabled_demoted_or_removed(
    engine: AsyncEngine,
) -> None:
    async with client(engine) as http:
        admin = bearer(await login(http, "boss@example.com"))
        path = "/v1/auth/consultants/boss@example.com"
        answers = [
            await http.patch(path, json={"disabled": True}, headers=admin),
            await http.patch(path, json={"role": "consultant"}, headers=admin),
            await http.delete(path, headers=admin),
        ]
        bad_role = await http.patch(path, json={"role": "owner"}, headers=admin)
    assert [a.status_code for a in answers] == [409, 409, 409]
    assert all("last enabled admin" in a.json()["detail"] for a in answers)
    assert bad_role.status_code == 422


async def test_a_signed_token_of_an_account_that_never_existed_or_of_an_old_version_is_refused(
    engine: AsyncEngine,
) -> None:
    version = await version_of(engine, "ann@example.com")
    async with client(engine) as http:
        invented = issue_token(SECRET, "mallory@example.com", version, 3600)
        future = issue_token(SECRET, "ann@example.com", version + 1, 3600)
        current = issue_token(SECRET, "ann@example.com", version, 3600)
        assert (await me(http, invented), await me(http, future), await me(http, current)) == (
            401,
            401,
            200,
        )


async def test_sessions_that_cannot_be_checked_get_503_never_a_way_in(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    token = issue_token(
        SECRET, "ann@example.com", await version_of(engine, "ann@example.com"), 3600
    )
    nowhere = Sessions(sqlite_url(tmp_path / "no-accounts-here.db"))
    try:
        async with client(engine, nowhere) as http:
            answer = await http.get("/v1/auth/me", headers=bearer(token))
    finally:
        await nowhere.close()
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "http://blog.crm.test", "Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "http://crm.test", "Sec-Fetch-Site": "same-origin"}, 200),
        ({"Origin": "http://crm.test"}, 200),
        ({}, 200),
    ],
)
async def test_a_login_sent_by_another_sites_page_is_refused(
    engine: AsyncEngine, headers: dict[str, str], status: int
) -> None:
    async with client(engine) as http:
        answer = await http.post(
            "/v1/auth/login",
            json={"email": "ann@example.com", "password": PASSWORD},
            headers=headers,
        )
    assert answer.status_code == status
    assert ("set-cookie" in answer.headers) is (status == 200)
