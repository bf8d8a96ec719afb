"""Segment's HTTP Tracking API on the running product, embedded and on Kafka + PostgreSQL: raw HTTP,
to reach what no SDK sends (bad gzip, bombs, wrong shapes)."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.processes import poll
from tests.product import Product

KEY = "pk-site-a"


@pytest.fixture(params=["embedded", "postgresql"])
def running(request: pytest.FixtureRequest) -> Product:
    name = "embedded_product" if request.param == "embedded" else "real_product"
    found: Product = request.getfixturevalue(name)
    return found


def click(visitor: str, message_id: str | None = None, points: int = 10) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "CTA Clicked",
        "messageId": message_id or uuid.uuid4().hex,
        "anonymousId": visitor,
        "timestamp": "2026-11-24T10:00:00Z",
        "properties": {"cta_id": "guide", "label": "Guide", "stage": 1, "points": points},
        "context": {
            "campaign": {"name": "spring", "source": "news"},
            "page": {"url": "https://site.example/guide"},
        },
    }


def send(
    product: Product,
    path: str,
    body: object = None,
    *,
    raw: bytes | None = None,
    key: str | None = KEY,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    auth = (key, "") if key is not None else None
    return httpx.post(f"{product.base}{path}", content=content, auth=auth, headers=headers)


def visitor() -> str:
    return f"seg-{uuid.uuid4().hex[:8]}"


def test_a_batch_of_clicks_scores_the_prospect_with_page_and_campaign(running: Product) -> None:
    who = visitor()
    answer = send(running, "/v1/batch", {"batch": [click(who), click(who, points=5)]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"success": True, "published": 2, "skipped": 0, "rejected": []}
    found = poll(lambda: running.prospect(who), lambda r: r.is_success and r.json()["clicks"] == 2)
    prospect = found.json()
    assert prospect["points"] == 15
    assert prospect["entry_point"]["page"] == "https://site.example/guide"
    assert prospect["entry_point"]["utm"]["campaign"] == "spring"


def test_a_retried_batch_with_the_same_message_ids_counts_once(running: Product) -> None:
    who = visitor()
    batch = {
        "batch": [click(who, "retry-1"), click(who, "retry-2")],
        "sentAt": "2026-11-24T10:00:01Z",
    }
    assert send(running, "/v1/batch", batch).status_code == 200
    batch["sentAt"] = "2026-11-24T10:00:09Z"  # a retry is sent later; its messages are the same
    again = send(running, "/v1/batch", batch)
    assert again.status_code == 200, again.text
    assert again.json()["published"] == 2
    marker = click(who, points=1)
    assert send(running, "/v1/track", marker).status_code == 200
    found = poll(lambda: running.prospect(who), lambda r: r.is_success and r.json()["points"] >= 21)
    assert (found.json()["points"], found.json()["clicks"]) == (21, 3)


def test_a_message_id_reused_for_another_message_is_rejected_in_a_batch(running: Product) -> None:
    who = visitor()
    first = click(who, "reuse-" + who)
    assert send(running, "/v1/track", first).json()["published"] == 1
    changed = {**first, "properties": {**first["properties"], "points": 50}}
    answer = send(running, "/v1/batch", {"batch": [changed, click(who)]})
    assert answer.status_code == 200
    assert answer.json()["published"] == 1
    assert answer.json()["rejected"][0]["index"] == 0
    assert answer.json()["rejected"][0]["errors"][0]["field"] == "messageId"


def test_identify_with_an_email_links_the_visitor_and_merges_a_known_email(
    running: Product,
) -> None:
    first, second = visitor(), visitor()
    email = f"{first}@example.com"
    form = {**click(first), "event": "Form Submitted", "properties": {"email": email}}
    assert send(running, "/v1/track", form).json()["published"] == 1
    assert send(running, "/v1/track", click(second)).status_code == 200
    poll(lambda: running.prospect(second), lambda r: r.is_success)
    identify = {"anonymousId": second, "traits": {"email": email}, "messageId": uuid.uuid4().hex}
    assert send(running, "/v1/identify", identify).json()["published"] == 1
    merged = poll(
        lambda: running.prospect(first),
        lambda r: r.is_success and second in r.json()["merged_ids"] + [r.json()["id"]],
    )
    assert {merged.json()["id"], *merged.json()["merged_ids"]} == {first, second}


def test_a_gzip_batch_is_accepted(running: Product) -> None:
    who = visitor()
    raw = gzip.compress(json.dumps({"batch": [click(who)]}).encode())
    answer = send(running, "/v1/batch", raw=raw, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 200, answer.text
    assert poll(lambda: running.prospect(who), lambda r: r.is_success).is_success


def test_other_calls_and_event_names_succeed_and_are_skipped(running: Product) -> None:
    who = visitor()
    batch = [
        {"type": "page", "anonymousId": who, "name": "Home"},
        {"type": "alias", "userId": "u-" + who, "previousId": who},
        {**click(who), "event": "Video Played"},
        {"type": "identify", "anonymousId": who, "traits": {"plan": "free"}},
    ]
    answer = send(running, "/v1/batch", {"batch": batch})
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "published": 0, "skipped": 4, "rejected": []}
    for kind in ("page", "alias"):
        single = send(running, f"/v1/{kind}", {"userId": "u1", "previousId": "a"})
        assert (single.status_code, single.json()["skipped"]) == (200, 1)


def test_a_mixed_batch_keeps_its_valid_messages_and_names_the_bad_ones(running: Product) -> None:
    who = visitor()
    bad_stage = {**click(who), "properties": {"cta_id": "x", "stage": "3", "points": 1}}
    batch = [click(who), {"type": "purchase", "anonymousId": who}, bad_stage, "text"]
    answer = send(running, "/v1/batch", {"batch": batch})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["published"] == 1
    fields = {r["index"]: r["errors"][0]["field"] for r in body["rejected"]}
    assert fields == {1: "type", 2: "properties.stage", 3: "(body)"}


def test_a_message_with_an_unpaired_surrogate_is_rejected_not_a_server_error(
    embedded_product: Product,
) -> None:
    lone = {**click(visitor()), "properties": {**click("x")["properties"], "note": "\ud800"}}
    raw = json.dumps({"batch": [lone, click(visitor())]}).encode()
    answer = send(embedded_product, "/v1/batch", raw=raw)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rejected"][0]["errors"][0]["message"].startswith("contains an unpaired")


def test_a_batch_without_any_valid_message_is_a_400_naming_each(running: Product) -> None:
    answer = send(running, "/v1/batch", {"batch": [{"type": "track", "event": "CTA Clicked"}]})
    assert answer.status_code == 400
    assert answer.json()["rejected"][0]["errors"][0]["field"] == "anonymousId"


@pytest.mark.parametrize(
    "path", ["/v1/batch", "/v1/track", "/v1/identify", "/v1/page", "/v1/alias"]
)
def test_every_call_refuses_a_wrong_or_missing_write_key_bad_json_and_bad_gzip(
    embedded_product: Product, path: str
) -> None:
    body = {"batch": [click(visitor())]} if path == "/v1/batch" else click(visitor())
    wrong = send(embedded_product, path, body, key="pk-wrong")
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "the write key is not a producer key"
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert send(embedded_product, path, body, key=None).status_code == 401
    # A key in the header is refused before the body is read.
    assert send(embedded_product, path, raw=b"{not json", key="pk-wrong").status_code == 401
    bad_json = send(embedded_product, path, raw=b"{not json")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["message"]
    bad_gzip = send(
        embedded_product, path, raw=b"\x1f\x8bnope", headers={"Content-Encoding": "gzip"}
    )
    assert bad_gzip.status_code == 400 and "gzip" in bad_gzip.json()["message"]


def test_the_write_key_may_travel_in_the_body_as_browsers_send_it(
    embedded_product: Product,
) -> None:
    answer = send(embedded_product, "/v1/track", {**click(visitor()), "writeKey": KEY}, key=None)
    assert answer.status_code == 200, answer.text


def test_calls_over_their_size_are_413_sent_or_unzipped(embedded_product: Product) -> None:
    big = {**click(visitor()), "properties": {"filler": "x" * 40_000}}
    assert send(embedded_product, "/v1/track", big).status_code == 413
    huge = {"batch": [click(visitor())], "filler": "x" * 600_000}
    assert send(embedded_product, "/v1/batch", huge).status_code == 413
    # 50 MB of zeros in 50 KB of gzip: refused after inflating a byte past 500 KiB.
    bomb = gzip.compress(b"0" * 50_000_000)
    answer = send(embedded_product, "/v1/batch", raw=bomb, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 413 and "unzipped" in answer.json()["message"]


def test_an_event_over_32_kib_in_a_batch_is_rejected_and_the_rest_kept(
    embedded_product: Product,
) -> None:
    big = {**click(visitor()), "properties": {"filler": "x" * 40_000}}
    answer = send(embedded_product, "/v1/batch", {"batch": [big, click(visitor())]})
    assert answer.status_code == 200
    assert answer.json()["rejected"] == [
        {"index": 0, "errors": [{"field": "(event)", "message": "larger than 32 KiB"}]}
    ]


def test_analytics_js_short_paths_take_the_same_calls_with_their_size_limits(
    embedded_product: Product,
) -> None:
    who = visitor()
    identify = {"anonymousId": who, "traits": {"email": f"{who}@acme.example"}}
    assert send(embedded_product, "/v1/i", identify).status_code == 200
    assert send(embedded_product, "/v1/t", click(who)).json()["published"] == 1
    assert send(embedded_product, "/v1/b", {"batch": [click(who, points=5)]}).status_code == 200
    assert send(embedded_product, "/v1/p", {"anonymousId": who}).json()["skipped"] == 1
    assert send(embedded_product, "/v1/a", {"userId": who, "previousId": "x"}).status_code == 200
    found = poll(
        lambda: embedded_product.prospect(who),
        lambda r: r.is_success and r.json()["clicks"] == 2 and r.json()["email"] is not None,
    )
    assert (found.json()["points"], found.json()["email"]) == (15, f"{who}@acme.example")
    big = {**click(who), "properties": {"filler": "x" * 40_000}}
    assert send(embedded_product, "/v1/t", big).status_code == 413
    assert send(embedded_product, "/v1/t", click(who), key="pk-wrong").status_code == 401


def test_a_browser_may_send_analytics_js_retry_count_header_across_origins(
    embedded_product: Product,
) -> None:
    preflight = httpx.options(
        f"{embedded_product.base}/v1/t",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-retry-count",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert "x-retry-count" in preflight.headers["access-control-allow-headers"].lower()


def test_an_analytics_js_retry_counting_itself_in_metadata_is_the_same_message_counted_once(
    embedded_product: Product,
) -> None:
    who = visitor()
    first = {**click(who, "ajs-retry-1"), "sentAt": "2026-11-24T10:00:01Z", "_metadata": {}}
    assert send(embedded_product, "/v1/t", first).json()["published"] == 1
    retry = {**first, "sentAt": "2026-11-24T10:00:03Z", "_metadata": {"retryCount": 1}}
    again = send(embedded_product, "/v1/t", retry)
    assert again.status_code == 200, again.text
    assert again.json()["published"] == 1  # the same event id again; the journey drops it
    found = poll(lambda: embedded_product.prospect(who), lambda r: r.is_success)
    assert (found.json()["clicks"], found.json()["points"]) == (1, 10)
