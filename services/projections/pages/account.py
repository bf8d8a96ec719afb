"""The /account page: the signed-in consultant changes their password or logs out everywhere;
an admin also lists, adds, disables, re-roles and removes accounts. The page only shows forms:
account.js calls the alerts service's `/v1/auth/...` API, which owns the accounts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.projections.pages.layout import ConsultantPage, Pages

PATH = "/account"


def account_router(pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    async def account(who: ConsultantPage) -> HTMLResponse:
        return pages.render(
            "account.html",
            title="Your account",
            here=PATH,
            scripts=("account.js",),
            styles=("account.css",),
            who=who.email,
            role=who.role,
        )

    return router
