"""What a Segment call must pass before its messages are read: the write key (basic-auth user,
else the body's `writeKey`), the key's rate limit, a gzip or plain body within its size limit
that is JSON; and Segment's error shape for the answers refusing it."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import zlib
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from services.common.limits import KeyLimits
from services.ingest import metrics


def parsed(raw: bytes, encoding: str | None, limit: int) -> object:
    """The JSON of a body, unzipped if gzip, or the answer refusing it."""
    coding = (encoding or "identity").strip().lower()
    if coding == "gzip":
        unzip = zlib.decompressobj(wbits=31)
        try:
            # At most one byte past the limit is ever inflated: a gzip bomb stops there.
            raw = unzip.decompress(raw, limit + 1)
        except zlib.error as exc:
            return error(400, "invalid_request", f"the body is not valid gzip: {exc}")
        if len(raw) > limit:
            return error(413, "too_large", f"the unzipped body is larger than {limit} bytes")
        if not unzip.eof or unzip.unused_data:
            return error(400, "invalid_request", "the body is not one complete gzip stream")
    elif coding != "identity":
        return error(400, "invalid_request", f"Content-Encoding {coding!r} is not gzip")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return error(400, "invalid_request", f"the body is not valid JSON: {exc}")
    except RecursionError:
        return error(400, "invalid_request", "the body nests too deeply to be a message")


def basic_user(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def write_key(request: Request, body: dict[str, Any]) -> str:
    """The write key: the basic-auth user, else the body's `writeKey` (as browsers send it)."""
    user = basic_user(request)
    written = body.get("writeKey")
    return user if user is not None else written if isinstance(written, str) else ""


def refused_key(request: Request, body: dict[str, Any]) -> JSONResponse | None:
    keys: frozenset[str] = request.app.state.producer_keys
    key = write_key(request, body)
    if key and any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
        return None
    message = (
        "the write key is not a producer key"
        if key
        else "a write key is required (basic auth: the key as user, no password)"
    )
    answer = error(401, "unauthorized", message)
    answer.headers["WWW-Authenticate"] = 'Basic realm="ingest"'
    return answer


def over_limit(limits: KeyLimits, key: str, events: int) -> JSONResponse | None:
    if not limits.fits(events):
        message = (
            f"a call of {events} messages is more than a key may post at once ({limits.burst})"
        )
        return error(413, "too_large", message)
    wait = limits.take(key, events)
    if not wait:
        return None
    metrics.THROTTLED.inc(events)
    answer = error(429, "rate_limited", f"over {limits.rate:g} events a second; retry")
    answer.headers["Retry-After"] = str(wait)
    return answer


def error(status: int, code: str, message: str) -> JSONResponse:
    """Segment's error shape (`code`, `message`, which its SDKs report), and `detail`."""
    headers = {"Retry-After": "5"} if status == 503 else None
    body = {"success": False, "code": code, "message": message, "detail": message}
    return JSONResponse(body, status_code=status, headers=headers)
