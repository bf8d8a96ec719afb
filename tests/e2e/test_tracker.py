"""The website tracker (`/t.js`) on a site of another origin under a strict Content-Security-Policy,
in Chromium, against `crm-journey run`: UTM on landing, CTA clicks, a page leave's beacon, a
flush answered 503 and retried, and the consent mode."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.website import journey_card, website
from tests.processes import crm, poll
from tests.sessions import embedded_accounts, signed_in

KEY = "pk-tracker-site"
SECRET = "tracker-secret"
LANDING = """<!doctype html>
<title>Acme</title>
<h1>Acme consulting</h1>
<button data-cta-id="read-guide" data-cta-label="Read the guide" data-cta-stage="1"
        data-cta-points="10">Read the guide</button>
<button data-cta-id="webinar" data-cta-label="Join the webinar" data-cta-stage="1"
        data-cta-points="5"><span>Join the webinar</span></button>
<a href="#pricing" data-cta-id="pricing" data-cta-label="See pricing" data-cta-stage="1"
   data-cta-points="20">See pricing</a>
<script src="{base}/t.js" data-key="{key}" data-cookie="acme_vid" {options} defer></script>
"""
GOODBYE = "<!doctype html><title>Elsewhere</title><p>Another page of the site, without the tracker."


@dataclass
class Site:
    base: str
    host: str
    consultant: dict[str, str]
    options: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("tracker")
    options: dict[str, str] = {}

    def html_for(path: str, _host: str) -> str:
        html = GOODBYE if path.startswith("/bye") else LANDING
        return html.format(base=options["base"], key=KEY, options=options["attrs"])

    with website(html_for, lambda: options["base"]) as host:
        env = {
            "CRM_INGEST_API_KEYS": KEY,
            "CRM_SESSION_SECRET": SECRET,
            "CRM_INGEST_CORS_ORIGINS": host,
        }
        with crm(["run", "--data-dir", str(data_dir)], data_dir / "crm.log", env) as base:
            options["base"] = base
            token = signed_in(embedded_accounts(data_dir), SECRET, "sam@example.com")
            yield Site(base, host, {"Authorization": f"Bearer {token}"}, options)


def land(page: Page, site: Site, attrs: str, campaign: str) -> None:
    site.options["attrs"] = attrs
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Security" in m.text else None)
    page.goto(f"{site.host}/?utm_source=newsletter&utm_medium=email&utm_campaign={campaign}")
    page.wait_for_function("window.hero !== undefined")
    assert violations == []


def click_three_ctas(page: Page) -> None:
    page.get_by_role("button", name="Read the guide").click()
    page.get_by_text("Join the webinar").click()  # on a child of the CTA
    page.get_by_role("link", name="See pricing").click()


def visitor_of(page: Page) -> dict[str, Any]:
    return next(dict(c) for c in page.context.cookies() if c["name"] == "acme_vid")


def wait_in_page(page: Page, until: Callable[[], bool], timeout_s: float = 20) -> None:
    """Wait while Playwright runs route handlers (a plain sleep would hold them back)."""
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def prospect(site: Site, visitor: str, clicks: int, *, email: bool = False) -> dict[str, Any]:
    found = poll(
        lambda: httpx.get(f"{site.base}/v1/prospects/{visitor}", headers=site.consultant),
        lambda r: (
            r.status_code == 200
            and r.json()["clicks"] >= clicks
            and (r.json()["email"] is not None or not email)
        ),
    )
    assert found.status_code == 200, found.text
    return dict(found.json())


def test_clicks_sent_at_page_leave_make_a_prospect_with_the_first_cta_and_the_utm_campaign(
    page: Page, site: Site
) -> None:
    land(page, site, 'data-flush-ms="600000"', "spring-launch")
    click_three_ctas(page)
    cookie = visitor_of(page)
    assert cookie["sameSite"] == "Lax"
    assert cookie["expires"] > time.time() + 300 * 24 * 3600
    visitor = cookie["value"]
    assert page.evaluate("localStorage.getItem('hero-visitor-id')") == visitor  # the widgets' id
    unsent = httpx.get(f"{site.base}/v1/prospects/{visitor}", headers=site.consultant)
    assert unsent.status_code == 404  # nothing flushed before the page is left

    page.evaluate("hero.identify('ann@acme.example')")
    page.goto(f"{site.host}/bye.html")  # pagehide: the beacon carries all three clicks

    found = prospect(site, visitor, 3, email=True)
    assert found["clicks"] == 3
    assert (found["points"], found["email"]) == (35, "ann@acme.example")
    entry = found["entry_point"]
    assert (entry["kind"], entry["cta_id"]) == ("cta", "read-guide")
    assert entry["cta_label"] == "Read the guide"
    assert entry["utm"] == {"source": "newsletter", "medium": "email", "campaign": "spring-launch"}
    assert entry["page"].startswith(f"{site.host}/?utm_source=newsletter")

    card = journey_card(page, site.base, site.consultant, visitor, clicks=3)
    expect(card).to_contain_text("35 pts · 3 clicks")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tracker-customerjourney.png"), full_page=True)


def test_a_flush_answered_503_is_sent_again_with_the_same_event_ids_and_counted_once(
    page: Page, site: Site
) -> None:
    posts: list[tuple[list[str], int]] = []

    def answer(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        ids = [e["event_id"] for e in body["events"]]
        delivered = route.fetch()  # ingest takes the batch either way
        status = 503 if not posts else delivered.status
        posts.append((ids, status))
        route.fulfill(response=delivered, status=status)

    page.route(lambda url: url.startswith(f"{site.base}/v1/events"), answer)
    land(page, site, 'data-flush-ms="1500"', "retry-week")
    click_three_ctas(page)
    visitor = visitor_of(page)["value"]

    wait_in_page(page, lambda: sum(len(ids) for ids, s in posts if s == 202) >= 3)
    (first, status), (again, then) = posts[0], posts[1]
    assert (status, then) == (503, 202)
    assert again == first  # the very same events, by id
    found = prospect(site, visitor, 3)
    time.sleep(1)  # the retried copy, published again, has had time to be counted (it is not)
    found = prospect(site, visitor, 3)
    assert (found["clicks"], found["points"]) == (3, 35)
    assert found["entry_point"]["utm"]["campaign"] == "retry-week"


def test_with_consent_required_nothing_is_sent_or_stored_until_the_site_says_so(
    page: Page, site: Site
) -> None:
    posts: list[str] = []

    def count(route: Route) -> None:
        posts.append(route.request.post_data or "")
        route.continue_()

    page.route(lambda url: url.startswith(f"{site.base}/v1/events"), count)
    land(page, site, 'data-consent="required" data-flush-ms="300"', "no-consent")
    click_three_ctas(page)
    page.wait_for_timeout(1000)  # three flush intervals
    assert page.context.cookies() == []
    assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
    page.goto(f"{site.host}/bye.html")
    page.wait_for_timeout(500)
    assert posts == []

    land(page, site, 'data-consent="required" data-flush-ms="300"', "consented")
    page.evaluate("hero.consent(true)")
    page.get_by_role("button", name="Read the guide").click()
    visitor = visitor_of(page)["value"]
    wait_in_page(page, lambda: len(posts) == 1)
    assert [e["cta"]["id"] for e in json.loads(posts[0])["events"]] == ["read-guide"]
    assert prospect(site, visitor, 1)["entry_point"]["utm"]["campaign"] == "consented"
