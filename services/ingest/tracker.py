"""The website tracker: its script (`GET /t.js`), and the producer key it sends in the query
string, since `navigator.sendBeacon` cannot set an Authorization header."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from services.common.auth import producer

SCRIPT = Path(__file__).parent / "static" / "t.js"
KEY_IN_QUERY = re.compile(r"([?&]key=)[^&\s]*")


def router() -> APIRouter:
    api = APIRouter(tags=["ingest"])
    source = SCRIPT.read_bytes()

    @api.get(
        "/t.js",
        response_class=Response,
        responses={200: {"content": {"text/javascript": {}}, "description": "the script"}},
    )
    async def tracker_script() -> Response:
        """The website tracker: CTA clicks, UTM attribution, `hero.track` and `hero.identify`,
        posted in batches to `/v1/events`; load it with
        `<script src=".../t.js" data-key="PRODUCER_KEY" defer>`."""
        return Response(
            source,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    return api


class ProducerKeyOf:
    """A dependency: the producer key of a request, from `Authorization: Bearer`, else from
    `?key=` on a request whose `Origin` is one of `origins` (any origin with `*`)."""

    credential = "producer"  # for the API document: this route takes a producer key

    def __init__(self, origins: Sequence[str]) -> None:
        self.allowed = frozenset(o.rstrip("/") for o in origins)

    async def __call__(
        self,
        request: Request,
        key: Annotated[
            str | None,
            Query(
                description="the producer key, for browsers' beacons (which send no headers); "
                "only from a page of a configured website origin (CRM_INGEST_CORS_ORIGINS)"
            ),
        ] = None,
    ) -> str:
        if key is None or "authorization" in request.headers:
            return await producer(request)
        origin = request.headers.get("origin")
        if origin is None or ("*" not in self.allowed and origin not in self.allowed):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="a producer key in the query string is accepted only from pages of the "
                "configured website origins (CRM_INGEST_CORS_ORIGINS); "
                "servers send Authorization: Bearer <key>",
            )
        keys: frozenset[str] = request.app.state.producer_keys
        if not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="the producer key is not valid",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return key


class HideQueryKeys(logging.Filter):
    """Keeps `?key=` values out of the access log: a producer key is public on websites, yet
    no credential is written to logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and "key=" in a for a in record.args
        ):
            record.args = tuple(
                KEY_IN_QUERY.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def hide_query_keys_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideQueryKeys) for f in access.filters):
        access.addFilter(HideQueryKeys())
