"""Logging in and out, and managing accounts over HTTP: login is slowed per client address after
failed attempts; every change to an account ends its sessions at once."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts.accounts import (
    BAD_CREDENTIALS,
    MAX_PASSWORD,
    Account,
    AccountExists,
    LastAdmin,
    NoAccount,
    add_consultant,
    authenticate,
    change_account,
    end_all_sessions,
    end_session,
    list_accounts,
    normalise_email,
    remove_account,
    set_password,
)
from services.alerts.throttle import LoginThrottle, client_key
from services.common.auth import (
    SESSION_COOKIE,
    AdminSession,
    ConsultantSession,
    issue_token,
    read_token,
    refuse_cross_site,
    refuse_foreign_login,
    session_of,
    token_of,
)


class Login(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_PASSWORD)


class LoggedIn(BaseModel):
    token: str
    email: str
    role: str
    expires_in: int


class Me(BaseModel):
    email: str
    role: str


class NewConsultant(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_PASSWORD)
    role: str = "consultant"


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=MAX_PASSWORD)
    new_password: str = Field(max_length=MAX_PASSWORD)


class AccountChange(BaseModel):
    """What an admin changes; any change ends the account's sessions."""

    role: str | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=MAX_PASSWORD)


class AccountView(BaseModel):
    email: str
    role: str
    disabled: bool
    created_at: datetime | None


def _view(account: Account) -> AccountView:
    return AccountView(
        email=account.email,
        role=account.role,
        disabled=account.disabled,
        created_at=account.created_at,
    )


EmailPath = Annotated[str, Path(max_length=320)]


def accounts_router(
    engine: AsyncEngine, secret: str, ttl_s: int, *, throttle: LoginThrottle | None = None
) -> APIRouter:
    api = APIRouter(prefix="/v1/auth", tags=["access"])
    guard = throttle or LoginThrottle()

    def signed_in(request: Request, response: Response, account: Account) -> LoggedIn:
        token = issue_token(secret, account.email, account.token_version, ttl_s)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=ttl_s,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return LoggedIn(token=token, email=account.email, role=account.role, expires_in=ttl_s)

    async def checked(request: Request, email: str, password: str) -> Account:
        address = client_key(request.client.host if request.client else None)
        if (wait := guard.retry_after(email, address)) is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many failed logins from this address; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        # Counted before checking, so guesses sent in parallel cannot all slip under the limit.
        guard.attempted(email, address)
        account = await authenticate(engine, email, password)
        if account is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=BAD_CREDENTIALS)
        guard.succeeded(email, address)
        return account

    @api.post("/login", responses={401: {}, 403: {}, 429: {}})
    async def login(body: Login, request: Request, response: Response) -> LoggedIn:
        refuse_foreign_login(request)
        account = await checked(request, normalise_email(body.email), body.password)
        return signed_in(request, response, account)

    @api.post(
        "/logout",
        status_code=status.HTTP_204_NO_CONTENT,
        responses={403: {"description": "with the cookie, not a same-origin JSON request"}},
    )
    async def logout(request: Request, everywhere: bool = Query(default=False)) -> Response:
        """End this session (with `everywhere=true`, every session of the account)."""
        if SESSION_COOKIE in request.cookies:
            refuse_cross_site(request)
        token = token_of(request)
        claims = read_token(secret, token) if token else None
        if claims is not None:
            # Only a session that still holds may end the others: a stolen token that was
            # logged out cannot keep logging its owner out.
            if everywhere and token and await session_of(request, token) is not None:
                with contextlib.suppress(NoAccount):
                    await end_all_sessions(engine, claims.email)
            await end_session(engine, claims)
        response = Response(status_code=status.HTTP_204_NO_CONTENT)
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @api.get("/me")
    async def me(who: ConsultantSession) -> Me:
        return Me(email=who.email, role=who.role)

    @api.post("/password", responses={401: {}, 403: {}, 422: {}, 429: {}})
    async def change_password(
        body: PasswordChange, who: ConsultantSession, request: Request, response: Response
    ) -> LoggedIn:
        """Change one's own password: every session of the account ends, this one gets a new
        token."""
        try:
            await checked(request, who.email, body.current_password)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_401_UNAUTHORIZED:
                raise
            # Signed in, so not a 401 (which the pages take as "log in again").
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="the current password is not right"
            ) from exc
        try:
            account = await set_password(engine, who.email, body.new_password)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        return signed_in(request, response, account)

    @api.get("/consultants")
    async def list_consultants(_: AdminSession) -> list[AccountView]:
        return [_view(a) for a in await list_accounts(engine)]

    @api.post("/consultants", status_code=status.HTTP_201_CREATED, responses={409: {}})
    async def create(body: NewConsultant, _: AdminSession) -> Me:
        try:
            made = await add_consultant(engine, body.email, body.password, body.role)
        except AccountExists as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        return Me(email=made.email, role=made.role)

    @api.patch("/consultants/{email}", responses={404: {}, 409: {}})
    async def change(email: EmailPath, body: AccountChange, _: AdminSession) -> AccountView:
        """Change an account's role, disable or enable it, or set its password; any change ends
        its sessions."""
        try:
            account = await change_account(
                engine, email, role=body.role, disabled=body.disabled, password=body.password
            )
        except NoAccount as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
        except LastAdmin as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        return _view(account)

    @api.delete("/consultants/{email}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
    async def remove(email: EmailPath, _: AdminSession) -> Response:
        try:
            await remove_account(engine, email)
        except NoAccount as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
        except LastAdmin as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
