"""The gated-playbook widget script, served to websites (no credential: it is public code)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

SCRIPT = Path(__file__).parent / "static" / "gate.js"


def router() -> APIRouter:
    api = APIRouter(tags=["content"])
    source = SCRIPT.read_bytes()

    @api.get(
        "/v1/widget/gate.js",
        response_class=Response,
        responses={200: {"content": {"text/javascript": {}}, "description": "the script"}},
    )
    async def gate_widget() -> Response:
        """Turns `<div data-hero-gate="playbook-id">` on a website into the gate's copy and
        form; load it with `<script src=".../v1/widget/gate.js" data-key="PRODUCER_KEY">`."""
        return Response(
            source,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    return api
