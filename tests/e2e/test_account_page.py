"""The /account page in Debian's Chromium against the product on Kafka and PostgreSQL: an admin
adds an account, disables it (its session ends at once) and changes their own password while
staying signed in; a consultant sees only their own part."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, SCREENSHOTS, add_consultant, log_in
from tests.product import Product

PATH = "/account"


def test_an_admin_adds_and_disables_an_account_and_changes_their_own_password(
    product: Product, page: Page
) -> None:
    admin = add_consultant(product, "admin", role="admin")
    log_in(page, product.base, PATH, admin)
    expect(page.get_by_role("heading", name=f"Signed in as {admin} (admin)")).to_be_visible()

    ann = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    page.locator("#add").get_by_label("Email").fill(ann)
    page.locator("#add").get_by_label("Password").fill(PASSWORD)
    page.locator("#add").get_by_role("button", name="Add").click()
    expect(page.locator('.message[data-for="add"]')).to_have_text(f"Added {ann} as consultant.")
    row = page.locator(f'#accounts-list tr[data-email="{ann}"]')
    expect(row).to_contain_text("active")

    login = httpx.post(f"{product.base}/v1/auth/login", json={"email": ann, "password": PASSWORD})
    ann_session = {"Authorization": f"Bearer {login.json()['token']}"}
    assert httpx.get(f"{product.base}/v1/auth/me", headers=ann_session).status_code == 200
    row.get_by_role("button", name="Disable").click()
    expect(page.locator('.message[data-for="accounts"]')).to_have_text(
        f"{ann}: disabled, sessions ended."
    )
    expect(row).to_contain_text("disabled")
    assert httpx.get(f"{product.base}/v1/auth/me", headers=ann_session).status_code == 401

    new_password = "a-brand-new-password"
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator('.message[data-for="password"]')).to_have_text(
        "Password changed. Your other sessions have ended."
    )
    page.reload()
    expect(page).to_have_url(f"{product.base}{PATH}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "account-admin.png"), full_page=True)
    old = httpx.post(f"{product.base}/v1/auth/login", json={"email": admin, "password": PASSWORD})
    assert old.status_code == 401


def test_a_consultant_sees_only_their_own_account_and_can_log_out_everywhere(
    product: Product, page: Page
) -> None:
    email = add_consultant(product, "plain")
    elsewhere = httpx.post(
        f"{product.base}/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()["token"]
    log_in(page, product.base, PATH, email)
    expect(page.locator("#admin")).to_have_count(0)
    wrong = page.get_by_label("Current password")
    wrong.fill("not the password")
    page.get_by_label("New password").fill("a-brand-new-password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator('.message[data-for="password"]')).to_have_text(
        "the current password is not right"
    )
    page.get_by_role("button", name="Log out everywhere").click()
    page.wait_for_url(f"{product.base}/login")
    auth = {"Authorization": f"Bearer {elsewhere}"}
    assert httpx.get(f"{product.base}/v1/auth/me", headers=auth).status_code == 401
    page.goto(f"{product.base}{PATH}")
    expect(page).to_have_url(f"{product.base}/login?next={PATH}")
