"""The /login page (and `/`, which leads to the customer journey)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.common.auth import page_session
from services.projections.pages.layout import HOME, Pages


def login_router(pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse(HOME, status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    async def login(request: Request, next: str = HOME) -> Response:
        """The login form; it posts to `/v1/auth/login`, which sets the session cookie."""
        target = safe_next(next)
        if await page_session(request) is not None:
            return RedirectResponse(target, status_code=303)
        return pages.render(
            "login.html", title="Log in", here="/login", scripts=("login.js",), next_path=target
        )

    return router


def safe_next(target: str) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return HOME
    return target
