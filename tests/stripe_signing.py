"""Stripe's side of a webhook delivery, as tests need it: event bodies shaped as Stripe sends
them, signed as Stripe signs (`t=<unix time>,v1=<HMAC-SHA256 of "t.body">`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

WEBHOOK_SECRET = "whsec_test_billing"


def signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(kind: str, obj: Mapping[str, Any], event_id: str | None = None) -> str:
    """A Stripe event's JSON as Stripe sends it to a webhook endpoint."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def completed(intent_id: str, session_id: str, event_id: str | None = None, **session: Any) -> str:
    obj = {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": intent_id,
        "metadata": {"intent_id": intent_id},
        "payment_status": "paid",
        "status": "complete",
        **session,
    }
    return stripe_event("checkout.session.completed", obj, event_id)
