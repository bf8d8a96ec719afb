"""Consultant accounts: scrypt-hashed passwords, and login into stateless session tokens,
slowed down per client address after repeated failed logins."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, false, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts.throttle import LoginThrottle, client_key
from services.common.auth import (
    ROLES,
    SESSION_COOKIE,
    AdminSession,
    Consultant,
    ConsultantSession,
    issue_token,
    refuse_cross_site,
)
from services.common.db import create_engine, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BAD_CREDENTIALS = "the email or password is not right"

accounts_metadata = MetaData()
consultants = Table(
    "alerts_consultants",
    accounts_metadata,
    Column("email", String(320), primary_key=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
)


class AccountExists(ValueError):
    pass


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@functools.cache
def _decoy_hash() -> str:
    # Checked when there is no usable account, so an unknown email costs one scrypt like a
    # known one and response times do not tell which emails have accounts.
    return hash_password(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def add_consultant(engine: AsyncEngine, email: str, password: str, role: str) -> Consultant:
    email = normalise_email(email)
    if len(email) > 320 or not EMAIL.match(email):
        raise ValueError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"the password must have at most {MAX_PASSWORD} characters")
    hashed = await asyncio.to_thread(hash_password, password)
    try:
        async with engine.begin() as conn:
            taken = await conn.execute(
                select(consultants.c.email).where(consultants.c.email == email)
            )
            if taken.first() is not None:
                raise AccountExists(f"{email} already has an account")
            await conn.execute(
                insert(consultants).values(
                    email=email,
                    password_hash=hashed,
                    role=role,
                    created_at=datetime.now(UTC),
                    disabled=False,
                )
            )
    except IntegrityError as exc:
        raise AccountExists(f"{email} already has an account") from exc
    return Consultant(email, role)


async def authenticate(engine: AsyncEngine, email: str, password: str) -> Consultant | None:
    email = normalise_email(email)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    consultants.c.password_hash, consultants.c.role, consultants.c.disabled
                ).where(consultants.c.email == email)
            )
        ).first()
    usable = row is not None and not row.disabled
    stored = row.password_hash if row is not None and usable else _decoy_hash()
    matches = await asyncio.to_thread(password_matches, password, stored)
    if row is None or not usable or not matches:
        return None
    return Consultant(email, row.role)


async def create_account(database_url: str, email: str, password: str, role: str) -> Consultant:
    """For the command line: migrate the alerts database, then add the account."""
    engine = create_engine(database_url)
    try:
        await migrate(engine, "alerts", MIGRATIONS)
        return await add_consultant(engine, email, password, role)
    finally:
        await engine.dispose()


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


def accounts_router(
    engine: AsyncEngine, secret: str, ttl_s: int, *, throttle: LoginThrottle | None = None
) -> APIRouter:
    api = APIRouter(prefix="/v1/auth", tags=["access"])
    guard = throttle or LoginThrottle()

    @api.post("/login", responses={401: {}, 429: {}})
    async def login(body: Login, request: Request, response: Response) -> LoggedIn:
        email = normalise_email(body.email)
        address = client_key(request.client.host if request.client else None)
        if (wait := guard.retry_after(email, address)) is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many failed logins from this address; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        # Counted before checking, so guesses sent in parallel cannot all slip under the limit.
        guard.attempted(email, address)
        who = await authenticate(engine, email, body.password)
        if who is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=BAD_CREDENTIALS)
        guard.succeeded(email, address)
        token = issue_token(secret, who.email, who.role, ttl_s)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=ttl_s,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return LoggedIn(token=token, email=who.email, role=who.role, expires_in=ttl_s)

    @api.post(
        "/logout",
        status_code=status.HTTP_204_NO_CONTENT,
        responses={403: {"description": "with the cookie, not a same-origin JSON request"}},
    )
    async def logout(request: Request) -> Response:
        if SESSION_COOKIE in request.cookies:
            refuse_cross_site(request)
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

    @api.post("/consultants", status_code=status.HTTP_201_CREATED, responses={409: {}})
    async def create(body: NewConsultant, _: AdminSession) -> Me:
        try:
            made = await add_consultant(engine, body.email, body.password, body.role)
        except AccountExists as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        return Me(email=made.email, role=made.role)

    return api
