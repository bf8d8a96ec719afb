"""`crm-journey users ...` against running products: a change made on the command line ends the
account's sessions at once in every process that serves it, the journey and alerts services as
separate processes on PostgreSQL, and the embedded product's pages."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.infra import fresh_database
from tests.processes import CLI, ROOT, crm
from tests.product import Product

SECRET = "sessions-secret"
PASSWORD = "a long enough password"


def users(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "users", *args],
        cwd=ROOT,
        input=(password + "\n") if password else None,
        capture_output=True,
        text=True,
        timeout=60,
    )


def login(base: str, email: str, password: str = PASSWORD) -> str:
    answer = httpx.post(f"{base}/v1/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def statuses(token: str, *urls: str) -> list[int]:
    auth = {"Authorization": f"Bearer {token}"}
    return [httpx.get(url, headers=auth).status_code for url in urls]


@pytest.mark.kafka
@pytest.mark.postgres
def test_a_change_on_the_command_line_ends_sessions_in_every_service_process_at_once(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    database = fresh_database(postgres_url, f"sess_{unique}")
    env = {
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"sess{unique}.",
        "CRM_DATABASE_URL": database,
    }
    where = ("--database-url", database)
    with (
        crm(["serve", "alerts"], tmp_path / "alerts.log", env) as alerts,
        crm(["serve", "journey"], tmp_path / "journey.log", env) as journey,
    ):
        added = users("add", "ann@example.com", *where, password=PASSWORD)
        assert added.returncode == 0, added.stderr
        users("add", "boss@example.com", "--role", "admin", *where, password=PASSWORD)
        # The journey answers 404 for a prospect it does not know only to a valid session.
        urls = (f"{alerts}/v1/auth/me", f"{journey}/v1/prospects/v-nobody")
        token = login(alerts, "ann@example.com")
        assert statuses(token, *urls) == [200, 404]

        disabled = users("disable", "ann@example.com", *where)
        assert disabled.stdout.strip() == "disabled ann@example.com; its sessions have ended"
        assert statuses(token, *urls) == [401, 401]
        refused = httpx.post(
            f"{alerts}/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
        assert refused.status_code == 401

        assert users("enable", "ann@example.com", *where).returncode == 0
        token = login(alerts, "ann@example.com")
        assert users("set-role", "ann@example.com", "admin", *where).returncode == 0
        assert statuses(token, *urls) == [401, 401]
        token = login(alerts, "ann@example.com")
        me = httpx.get(urls[0], headers={"Authorization": f"Bearer {token}"}).json()
        assert me == {"email": "ann@example.com", "role": "admin"}

        new = "another long password"
        assert users("set-password", "ann@example.com", *where, password=new).returncode == 0
        assert statuses(token, *urls) == [401, 401]
        token = login(alerts, "ann@example.com", new)

        listed = users("list", *where).stdout
        assert "ann@example.com" in listed and "admin" in listed and "2 account(s)" in listed
        assert users("remove", "ann@example.com", *where).returncode == 0
        assert statuses(token, *urls) == [401, 401]
        last = users("remove", "boss@example.com", *where)
        assert last.returncode == 2 and "last enabled admin" in last.stderr
        unknown = users("disable", "nobody@example.com", *where)
        assert unknown.returncode == 2 and "nobody@example.com has no account" in unknown.stderr


def test_disabling_an_account_sends_its_open_pages_back_to_the_login_page(
    product: Product,
) -> None:
    email = f"pages-{uuid.uuid4().hex[:6]}@example.com"
    assert users("add", email, *product.accounts, password=PASSWORD).returncode == 0
    cookies = httpx.post(
        f"{product.base}/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).cookies
    with httpx.Client(base_url=product.base, cookies=cookies) as browser:
        assert browser.get("/journeykanban").status_code == 200
        assert users("disable", email, *product.accounts).returncode == 0
        page = browser.get("/journeykanban")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/journeykanban"
