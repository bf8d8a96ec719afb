"""The upgrade modal script, served to websites (no credential: it is public code)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

SCRIPT = Path(__file__).parent / "static" / "upgrade.js"


def router() -> APIRouter:
    api = APIRouter(tags=["billing"])
    source = SCRIPT.read_bytes()

    @api.get(
        "/v1/widget/upgrade.js",
        response_class=Response,
        responses={200: {"content": {"text/javascript": {}}, "description": "the script"}},
    )
    async def upgrade_widget() -> Response:
        """Makes `<a data-hero-cta="cta-id" href="...">` on a website ask the access check on
        click and, when the visitor's tier is too low, open the upgrade modal (Checkout or Talk
        to Sales); load it with
        `<script src=".../v1/widget/upgrade.js" data-key="PRODUCER_KEY" defer>`."""
        return Response(
            source,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    return api
