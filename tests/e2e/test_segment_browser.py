"""Segment's own browser SDK (`@segment/analytics-next`, from node_modules, bundled by esbuild)
on a site of another origin under a strict Content-Security-Policy, in Chromium, sending to
`crm-journey run` by its `apiHost` setting: identify, CTA clicks with a stage jump, a call
answered 503 and retried, and a wrong write key."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, Response, Route, expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.website import journey_card, website
from tests.processes import ROOT, crm, poll
from tests.sessions import embedded_accounts, signed_in

KEY = "pk-segment-site"
SECRET = "segment-secret"
PAGE = """<!doctype html>
<title>Acme</title>
<h1>Acme consulting</h1>
<script src="/analytics.js" data-write-key="{key}" data-api-host="{api_host}"></script>
"""
ENTRY = ROOT / "tests" / "js" / "site" / "segment-site.js"


@dataclass
class Site:
    base: str
    host: str
    consultant: dict[str, str]


@dataclass
class Traffic:
    """What the page asked for, and what the product answered to the SDK."""

    hosts: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    answers: list[tuple[str, int, str]] = field(default_factory=list)
    retries: list[str | None] = field(default_factory=list)


def bundle(out: Path) -> Path:
    """analytics-next's browser entry and the site's set-up in one classic script: esbuild
    without code splitting inlines the dynamic imports, so no chunk is loaded from a CDN."""
    target = out / "analytics.js"
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "esbuild"),
            str(ENTRY),
            "--bundle",
            "--format=iife",
            "--platform=browser",
            "--log-level=warning",
            f"--outfile={target}",
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("segment-browser")
    script = bundle(tmp_path_factory.mktemp("bundle"))
    where: dict[str, str] = {}

    def html_for(path: str, _host: str) -> str:
        key = "pk-not-a-key" if path.startswith("/wrong-key") else KEY
        api_host = f"{urlsplit(where['base']).netloc}/v1"
        return PAGE.format(key=key, api_host=api_host)

    with website(html_for, lambda: where["base"], {"/analytics.js": script}) as host:
        env = {
            "CRM_INGEST_API_KEYS": KEY,
            "CRM_SESSION_SECRET": SECRET,
            "CRM_INGEST_CORS_ORIGINS": host,
        }
        with crm(["run", "--data-dir", str(data_dir)], data_dir / "crm.log", env) as base:
            where["base"] = base
            token = signed_in(embedded_accounts(data_dir), SECRET, "sam@example.com")
            yield Site(base, host, {"Authorization": f"Bearer {token}"})


def watch(page: Page, site: Site) -> Traffic:
    seen = Traffic()

    def request(r: Request) -> None:
        seen.hosts.add(urlsplit(r.url).netloc)

    def response(r: Response) -> None:
        if r.url.startswith(f"{site.base}/v1/") and r.request.method == "POST":
            seen.answers.append((urlsplit(r.url).path, r.status, r.request.post_data or ""))
            seen.retries.append(r.request.headers.get("x-retry-count"))

    page.on("request", request)
    page.on("response", response)
    # Chromium's console names what a CSP ("Refused to ...") or CORS ("... CORS policy") stopped.
    page.on("console", lambda m: seen.refused.append(m.text) if _stopped(m.text) else None)
    return seen


def _stopped(text: str) -> bool:
    return "Refused" in text or "CORS" in text


def land(page: Page, site: Site, path: str, campaign: str) -> Traffic:
    seen = watch(page, site)
    page.goto(f"{site.host}{path}?utm_source=newsletter&utm_medium=email&utm_campaign={campaign}")
    page.wait_for_function("window.analytics !== undefined")
    return seen


CLICKS = [
    {"cta_id": "read-guide", "label": "Read the guide", "stage": 1, "points": 10},
    {"cta_id": "webinar", "label": "Join the webinar", "stage": 1, "points": 20},
    # 30 points: Stage 2. A Stage 4 CTA is a jump of two: 25 x 2 points and a HIGH alert.
    {"cta_id": "book-build", "label": "Book a build", "stage": 4, "points": 25},
]


def sent(page: Page, path: str, call: str) -> Response:
    """Run an analytics.js call in the page and wait for the product's answer to it."""
    with page.expect_response(
        lambda r: r.url.endswith(path) and r.request.method == "POST", timeout=20_000
    ) as answer:
        page.evaluate(call)
    return answer.value


def anonymous_id(page: Page) -> str:
    return str(page.evaluate("analytics.user().then((user) => user.anonymousId())"))


def prospect(site: Site, visitor: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    found = poll(
        lambda: httpx.get(f"{site.base}/v1/prospects/{visitor}", headers=site.consultant),
        lambda r: r.status_code == 200 and until(r.json()),
    )
    assert found.status_code == 200, found.text
    return dict(found.json())


def only_the_site_and_the_product(seen: Traffic, site: Site) -> None:
    assert seen.hosts == {urlsplit(site.host).netloc, urlsplit(site.base).netloc}
    assert seen.refused == []  # nothing CSP or CORS stopped (a CDN fetch would show here)


def test_identify_and_cta_clicks_from_analytics_next_score_the_prospect_with_its_entry_point(
    page: Page, site: Site
) -> None:
    seen = land(page, site, "/", "spring-launch")
    visitor = anonymous_id(page)
    identify = sent(page, "/v1/i", "analytics.identify('u-ann', {email: 'ann@acme.example'})")
    assert identify.status == 200
    for click in CLICKS:
        assert sent(page, "/v1/t", f"analytics.track('CTA Clicked', {json.dumps(click)})").ok
    assert [(path, status) for path, status, _ in seen.answers] == [
        ("/v1/i", 200),
        *[("/v1/t", 200)] * 3,
    ]
    assert {json.loads(body)["anonymousId"] for _, _, body in seen.answers} == {visitor}

    found = prospect(site, visitor, lambda p: p["clicks"] == 3 and p["email"] is not None)
    assert (found["stage"], found["points"], found["email"]) == (3, 80, "ann@acme.example")
    entry = found["entry_point"]
    assert (entry["cta_id"], entry["cta_label"]) == ("read-guide", "Read the guide")
    assert entry["utm"] == {"source": "newsletter", "medium": "email", "campaign": "spring-launch"}
    assert entry["page"].startswith(f"{site.host}/?utm_source=newsletter")
    alerts = poll(
        lambda: httpx.get(
            f"{site.base}/v1/alerts?prospect_id={visitor}", headers=site.consultant
        ).json()["alerts"],
        lambda found: len(found) == 1,
    )
    assert [(a["priority"], a["target_stage"], a["gap"]) for a in alerts] == [("HIGH", 4, 2)]
    only_the_site_and_the_product(seen, site)

    card = journey_card(page, site.base, site.consultant, visitor, clicks=3)
    expect(card).to_contain_text("Stage 3 · Validation")
    expect(card).to_contain_text("80 pts · 3 clicks")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "segment-browser-customerjourney.png"), full_page=True)


def test_a_call_answered_503_is_retried_by_the_sdk_with_the_same_message_id_and_counted_once(
    page: Page, site: Site
) -> None:
    def delivered_then_503(route: Route) -> None:
        delivered = route.fetch()  # ingest takes the click either way
        route.fulfill(response=delivered, status=503)

    # Once: the SDK's retry goes to the product itself, through the browser's CORS checks.
    page.route(lambda url: url.startswith(f"{site.base}/v1/t"), delivered_then_503, times=1)
    seen = land(page, site, "/", "retry-week")
    visitor = anonymous_id(page)
    page.evaluate(f"analytics.track('CTA Clicked', {json.dumps(CLICKS[0])})")
    wait_in_page(page, lambda: len(seen.answers) >= 2)
    assert [status for _, status, _ in seen.answers] == [503, 200]
    (_, _, body), (_, _, again) = seen.answers
    assert json.loads(again)["messageId"] == json.loads(body)["messageId"]
    assert seen.retries[0] is None and seen.retries[1] is not None  # allowed by CORS

    found = prospect(site, visitor, lambda p: p["clicks"] >= 1)
    time.sleep(1)  # the copy published by the 503'd call has had time to be counted (it is not)
    found = prospect(site, visitor, lambda p: p["clicks"] >= 1)
    assert (found["clicks"], found["points"]) == (1, 10)
    assert found["entry_point"]["utm"]["campaign"] == "retry-week"
    assert len(seen.answers) == 2
    only_the_site_and_the_product(seen, site)


def test_a_wrong_write_key_is_answered_401_and_nothing_is_stored(page: Page, site: Site) -> None:
    seen = land(page, site, "/wrong-key", "wrong-key")
    visitor = anonymous_id(page)
    answer = sent(page, "/v1/t", f"analytics.track('CTA Clicked', {json.dumps(CLICKS[0])})")
    # The SDK never reads the body (nor may a test wait for it): the status is what it sees.
    assert answer.status == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="ingest"'
    page.wait_for_timeout(1500)  # a retry would come within a second; a 401 is not retried
    assert [(path, status) for path, status, _ in seen.answers] == [("/v1/t", 401)]
    missing = httpx.get(f"{site.base}/v1/prospects/{visitor}", headers=site.consultant)
    assert missing.status_code == 404
    only_the_site_and_the_product(seen, site)


def wait_in_page(page: Page, until: Callable[[], bool], timeout_s: float = 20) -> None:
    """Wait while Playwright runs route handlers (a plain sleep would hold them back)."""
    deadline = time.monotonic() + timeout_s
    while not until() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
