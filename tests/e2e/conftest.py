"""What every browser test shares: the product on real Kafka and PostgreSQL (`crm-journey serve
all`), Debian's Chromium under Playwright, a fresh page per test, consultant accounts made with
the CLI in the product's own database, and logging in through the /login page."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.processes import CLI, ROOT
from tests.product import Product

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.kafka)
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def product(real_product: Product) -> Product:
    """Pages are tested on the product as it is deployed: Kafka and PostgreSQL, not embedded."""
    return real_product


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        done = subprocess.run(
            ["bash", str(ROOT / "deploy" / "local" / "install.sh"), "chromium"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
            pytest.fail(f"no Chromium at {CHROMIUM}; install.sh chromium said:\n{done.stderr}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    yield context.new_page()
    context.close()


def add_consultant(product: Product, prefix: str, role: str = "consultant") -> str:
    """A new account (unique: pytest may set a module's fixtures up twice)."""
    return add_account(product.accounts, prefix, role)


def add_account(accounts: tuple[str, ...], prefix: str, role: str = "consultant") -> str:
    """A new account in the accounts `crm-journey users add` reaches with these options."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    added = subprocess.run(
        [*CLI, "users", "add", email, "--role", role, *accounts],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    return email


def log_in(page: Page, base: str, path: str, email: str) -> None:
    """Open `path`, be sent to /login, log in there, and land back on `path`."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(f"{base}/login?next={path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{path}")


def scripts_of(page_html: str, policy: str) -> list[str]:
    """The static files a page runs, in order, after checking that the policy allows no inline
    script or style and that every script on the page is a file allowed by its hash."""
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "script-src 'sha256-" in policy
    tags = re.findall(r"<script[^>]*>", page_html)
    sources = re.findall(r'<script type="module" src="([^"?]+)[^"]*" integrity="sha256-', page_html)
    assert len(sources) == len(tags)  # none inline, every one allowed by its hash
    assert "<style" not in page_html
    assert " style=" not in page_html
    return [source.removeprefix("/static/projections/") for source in sources]
