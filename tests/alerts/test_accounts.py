"""Consultant accounts and login, on SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts import accounts, passwords
from services.alerts.access import accounts_router
from services.alerts.accounts import (
    BAD_CREDENTIALS,
    MIGRATIONS,
    add_consultant,
    authenticate,
    consultants,
)
from services.alerts.throttle import Backoff, LoginThrottle, client_key
from services.common.auth import SESSION_COOKIE, read_token
from services.common.db import create_engine, migrate
from services.common.sessions import Sessions
from tests.alerts.serving import SECRET, database_url
from tests.processes import CLI, ROOT
from tests.sessions import session_token

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[AsyncEngine]:
    server = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    engine = create_engine(await database_url(request.param, tmp_path, server, f"access_{unique}"))
    await migrate(engine, "alerts", MIGRATIONS)
    yield engine
    await engine.dispose()


def api(engine: AsyncEngine, clock: Clock | None = None) -> FastAPI:
    app = FastAPI()
    app.state.session_secret = SECRET
    app.state.sessions = Sessions(engine)
    app.include_router(
        accounts_router(engine, SECRET, 3600, throttle=LoginThrottle(clock=clock or Clock()))
    )
    return app


def client(
    app: FastAPI, base: str = "http://testserver", address: str = "127.0.0.1"
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base)


async def test_passwords_are_stored_as_salted_scrypt_hashes(engine: AsyncEngine) -> None:
    await add_consultant(engine, "a@example.com", PASSWORD, "consultant")
    await add_consultant(engine, "b@example.com", PASSWORD, "consultant")
    async with engine.connect() as conn:
        hashes = (await conn.execute(select(consultants.c.password_hash))).scalars().all()
    assert len(hashes) == 2 and hashes[0] != hashes[1]
    assert all(h.startswith("scrypt$16384$8$1$") and PASSWORD not in h for h in hashes)


async def test_the_right_password_authenticates_whatever_the_emails_case(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "Ann@Example.com", PASSWORD, "admin")
    found = await authenticate(engine, " ANN@example.COM", PASSWORD)
    assert found is not None and (found.email, found.role) == ("ann@example.com", "admin")
    assert await authenticate(engine, "ann@example.com", PASSWORD + "!") is None
    assert await authenticate(engine, "bob@example.com", PASSWORD) is None


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("taken@example.com", PASSWORD, "consultant", "taken@example.com already has an account"),
        ("TAKEN@example.com", PASSWORD, "admin", "taken@example.com already has an account"),
        ("new@example.com", "short pass!", "consultant", "at least 12 characters"),
        ("not-an-email", PASSWORD, "consultant", "is not an email address"),
        ("new@example.com", PASSWORD, "owner", "unknown role 'owner'"),
    ],
)
async def test_adding_refuses_a_taken_email_a_short_password_a_bad_email_or_role(
    engine: AsyncEngine, email: str, password: str, role: str, message: str
) -> None:
    await add_consultant(engine, "taken@example.com", PASSWORD, "consultant")
    with pytest.raises(ValueError, match=message):
        await add_consultant(engine, email, password, role)
    async with engine.connect() as conn:
        assert (await conn.execute(select(consultants.c.email))).scalars().all() == [
            "taken@example.com"
        ]


async def test_an_unknown_email_costs_one_password_hash_like_a_known_one(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    real, calls = passwords._scrypt, []

    def counted(*args: object) -> bytes:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(passwords, "_scrypt", counted)
    passwords.decoy_hash()
    calls.clear()
    await authenticate(engine, "ann@example.com", "wrong password!")
    await authenticate(engine, "nobody@example.com", "wrong password!")
    assert len(calls) == 2


async def test_a_disabled_account_cannot_log_in(engine: AsyncEngine) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    async with engine.begin() as conn:
        await conn.execute(update(consultants).values(disabled=True))
    assert await authenticate(engine, "ann@example.com", PASSWORD) is None


async def test_logging_in_gives_a_token_and_an_httponly_lax_session_cookie(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "admin")
    async with client(api(engine)) as http:
        answer = await http.post(
            "/v1/auth/login", json={"email": "Ann@example.com", "password": PASSWORD}
        )
        assert answer.status_code == 200
        body = answer.json()
        assert (body["email"], body["role"], body["expires_in"]) == (
            "ann@example.com",
            "admin",
            3600,
        )
        claims = read_token(SECRET, body["token"])
        assert claims is not None and claims.email == "ann@example.com"
        ann = await authenticate(engine, "ann@example.com", PASSWORD)
        assert ann is not None and claims.version == ann.token_version
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}={body['token']};")
        for attribute in ("HttpOnly", "Max-Age=3600", "Path=/", "SameSite=lax"):
            assert attribute in cookie
        assert "Secure" not in cookie

        by_cookie = await http.get("/v1/auth/me")
        http.cookies.clear()
        by_bearer = await http.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"}
        )
        anonymous = await http.get("/v1/auth/me")
    assert by_cookie.json() == by_bearer.json() == {"email": "ann@example.com", "role": "admin"}
    assert anonymous.status_code == 401


async def test_the_session_cookie_is_secure_when_the_login_came_over_https(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    async with client(api(engine), "https://crm.example.com") as http:
        answer = await http.post(
            "/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
    assert answer.status_code == 200
    assert "Secure" in answer.headers["set-cookie"]


async def test_wrong_password_and_unknown_email_get_the_same_generic_401(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    async with client(api(engine)) as http:
        wrong = await http.post(
            "/v1/auth/login", json={"email": "ann@example.com", "password": "x" * 12}
        )
        unknown = await http.post(
            "/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
        )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": BAD_CREDENTIALS}
    assert "set-cookie" not in wrong.headers


async def login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/v1/auth/login", json={"email": email, "password": password})


async def test_guesses_slow_the_guessing_address_while_the_owner_elsewhere_logs_in(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    clock = Clock()
    app = api(engine, clock)
    async with (
        client(app, address="203.0.113.66") as attacker,
        client(app, address="198.51.100.7") as owner,
    ):
        for guess in range(5):
            assert (
                await login(attacker, "ann@example.com", f"guess {guess}" * 3)
            ).status_code == 401
        slowed = await login(attacker, "ANN@example.com", "guess 5" * 3)
        from_home = await login(owner, "ann@example.com", PASSWORD)
        clock.now += 1
        sixth = await login(attacker, "ann@example.com", "guess 6" * 3)
        slowed_longer = await login(attacker, "ann@example.com", "guess 7" * 3)
        clock.now += 2
        seventh = await login(attacker, "ann@example.com", "guess 7" * 3)
        slowed_longer_still = await login(attacker, "ann@example.com", "guess 8" * 3)
    assert slowed.status_code == 429 and slowed.headers["retry-after"] == "1"
    assert "set-cookie" not in slowed.headers
    assert from_home.status_code == 200 and "set-cookie" in from_home.headers
    assert (sixth.status_code, seventh.status_code) == (401, 401)
    assert slowed_longer.status_code == 429 and slowed_longer.headers["retry-after"] == "2"
    assert slowed_longer_still.headers["retry-after"] == "4"


async def test_delays_grow_to_at_most_fifteen_minutes_and_never_lock_the_right_password_out(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    clock = Clock()
    async with client(api(engine, clock), address="203.0.113.66") as http:
        waits = []
        for guess in range(20):
            answer = await login(http, "ann@example.com", f"guess {guess}" * 3)
            if answer.status_code == 429:
                waits.append(int(answer.headers["retry-after"]))
                clock.now += waits[-1]
                answer = await login(http, "ann@example.com", f"guess {guess}" * 3)
            assert answer.status_code == 401
        assert max(waits) == 15 * 60
        wait = int((await login(http, "ann@example.com", PASSWORD)).headers["retry-after"])
        clock.now += wait
        owner = await login(http, "ann@example.com", PASSWORD)
    assert waits[:6] == [1, 2, 4, 8, 16, 32]
    assert owner.status_code == 200


async def test_spraying_many_emails_from_one_address_is_slowed_down(engine: AsyncEngine) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    clock = Clock()
    app = api(engine, clock)
    async with (
        client(app, address="203.0.113.66") as sprayer,
        client(app, address="198.51.100.7") as owner,
    ):
        answers = [
            (await login(sprayer, f"user{n}@example.com", "Summer2026!!")).status_code
            for n in range(30)
        ]
        from_home = await login(owner, "ann@example.com", PASSWORD)
        clock.now += 20 * 60
        later = await login(sprayer, "ann@example.com", PASSWORD)
    assert answers == [401] * 20 + [429] * 10
    assert from_home.status_code == 200
    assert later.status_code == 200


async def test_a_throttled_answer_is_the_same_for_a_known_and_an_unknown_email(
    engine: AsyncEngine,
) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    async with client(api(engine, Clock()), address="203.0.113.66") as http:
        for n in range(20):
            await login(http, f"user{n}@example.com", "Summer2026!!")
        known = await login(http, "ann@example.com", "Summer2026!!")
        unknown = await login(http, "nobody@example.com", "Summer2026!!")
    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()
    assert known.headers["retry-after"] == unknown.headers["retry-after"]


def test_an_attacker_cycling_addresses_and_emails_cannot_grow_the_counters_without_bound() -> None:
    clock = Clock()
    throttle = LoginThrottle(
        per_address=Backoff(free=20, forgive_every_s=60, max_keys=100, clock=clock),
        per_email=Backoff(free=5, forgive_every_s=900, max_keys=100, clock=clock),
    )
    for n in range(5000):
        throttle.attempted(f"user{n}@example.com", client_key(f"10.{n // 256 % 256}.{n % 256}.1"))
    assert len(throttle.per_address) == len(throttle.per_email) == 100
    assert len(LoginThrottle().per_address) == 0


def test_an_ipv6_client_is_counted_by_its_64_and_an_ipv4_mapped_one_as_ipv4() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "unknown"


async def test_guesses_sent_in_parallel_cannot_slip_past_the_limit(engine: AsyncEngine) -> None:
    await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
    async with client(api(engine)) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/v1/auth/login", json={"email": "ann@example.com", "password": f"{n}" * 12}
                )
                for n in range(8)
            )
        )
    assert sorted(a.status_code for a in answers) == [401] * 5 + [429] * 3


async def test_logging_out_clears_the_session_cookie(engine: AsyncEngine) -> None:
    async with client(api(engine)) as http:
        answer = await http.post("/v1/auth/logout")
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f'{SESSION_COOKIE}="";') and "Max-Age=0" in cookie


async def test_only_an_admin_can_create_consultant_accounts(engine: AsyncEngine) -> None:
    boss = await session_token(engine, SECRET, "boss@example.com", "admin")
    ann = await session_token(engine, SECRET, "ann@example.com")
    admin, plain = {"Authorization": f"Bearer {boss}"}, {"Authorization": f"Bearer {ann}"}
    new = {"email": "Carl@example.com", "password": PASSWORD}
    async with client(api(engine)) as http:
        by_consultant = await http.post("/v1/auth/consultants", json=new, headers=plain)
        anonymous = await http.post("/v1/auth/consultants", json=new)
        created = await http.post("/v1/auth/consultants", json=new, headers=admin)
        again = await http.post("/v1/auth/consultants", json=new, headers=admin)
        weak = await http.post(
            "/v1/auth/consultants",
            json={"email": "d@example.com", "password": "short"},
            headers=admin,
        )
        login = await http.post(
            "/v1/auth/login", json={"email": "carl@example.com", "password": PASSWORD}
        )
    assert (by_consultant.status_code, anonymous.status_code) == (403, 401)
    assert created.status_code == 201
    assert created.json() == {"email": "carl@example.com", "role": "consultant"}
    assert again.status_code == 409 and "already has an account" in again.json()["detail"]
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    assert login.status_code == 200 and login.json()["role"] == "consultant"


async def test_the_migration_creates_the_accounts_table_in_the_alerts_history(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> None:
    server = request.getfixturevalue("postgres_url")
    for url in (
        await database_url("sqlite", tmp_path, None, "migrated"),
        await database_url("postgresql", tmp_path, server, f"access_m_{unique}"),
    ):
        engine = create_engine(url)
        try:
            await migrate(engine, "alerts", accounts.MIGRATIONS)
            await migrate(engine, "alerts", accounts.MIGRATIONS)
            await add_consultant(engine, "ann@example.com", PASSWORD, "consultant")
            assert await authenticate(engine, "ann@example.com", PASSWORD) is not None
            async with engine.connect() as conn:
                versions = await conn.execute(
                    text("SELECT version_num FROM alembic_version_alerts")
                )
                assert versions.scalar_one() >= "0002"
        finally:
            await engine.dispose()


def users_add(data_dir: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "users", "add", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_first_admin_made_on_the_command_line_can_log_in(tmp_path: Path) -> None:
    made = users_add(tmp_path, "a@example.com", "--role", "admin", password=PASSWORD)
    assert (made.returncode, made.stdout.strip()) == (0, "added a@example.com as admin")
    again = users_add(tmp_path, "A@example.com", password=PASSWORD)
    weak = users_add(tmp_path, "b@example.com", password="too short")
    assert again.returncode == 2 and "already has an account" in again.stderr
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr

    engine = create_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    try:
        async with client(api(engine)) as http:
            answer = await http.post(
                "/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD}
            )
    finally:
        await engine.dispose()
    assert answer.status_code == 200 and answer.json()["role"] == "admin"
