"""Consultant accounts: scrypt-hashed passwords, and the changes that end an account's sessions
(each raises its token version, which every service checks: `services.common.sessions`)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.alerts.passwords import decoy_hash, hash_password, password_matches
from services.common.auth import ROLES
from services.common.db import as_aware, create_engine, migrate
from services.common.sessions import Claims, ended_sessions

MIGRATIONS = Path(__file__).parent / "migrations"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
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
    Column("token_version", Integer, nullable=False, server_default="0"),
)
T = TypeVar("T")


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    token_version: int
    disabled: bool = False
    created_at: datetime | None = None


class AccountExists(ValueError):
    pass


class NoAccount(LookupError):
    pass


class LastAdmin(ValueError):
    """The change would leave no enabled admin, and nobody could manage accounts any more."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"the password must have at most {MAX_PASSWORD} characters")


async def add_consultant(engine: AsyncEngine, email: str, password: str, role: str) -> Account:
    email = normalise_email(email)
    if len(email) > 320 or not EMAIL.match(email):
        raise ValueError(f"{email!r} is not an email address")
    _check_role(role)
    _check_password(password)
    hashed = await asyncio.to_thread(hash_password, password)
    # A random first version: an account removed and added again under the same email does not
    # bring the old account's tokens back to life.
    version = secrets.randbelow(2**30)
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
                    token_version=version,
                )
            )
    except IntegrityError as exc:
        raise AccountExists(f"{email} already has an account") from exc
    return Account(email, role, version)


async def authenticate(engine: AsyncEngine, email: str, password: str) -> Account | None:
    email = normalise_email(email)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    consultants.c.password_hash,
                    consultants.c.role,
                    consultants.c.disabled,
                    consultants.c.token_version,
                ).where(consultants.c.email == email)
            )
        ).first()
    usable = row is not None and not row.disabled
    stored = row.password_hash if row is not None and usable else decoy_hash()
    matches = await asyncio.to_thread(password_matches, password, stored)
    if row is None or not usable or not matches:
        return None
    return Account(email, row.role, row.token_version)


async def list_accounts(engine: AsyncEngine) -> list[Account]:
    c = consultants.c
    query = select(c.email, c.role, c.token_version, c.disabled, c.created_at).order_by(c.email)
    async with engine.connect() as conn:
        return [_from_row(row) for row in await conn.execute(query)]


async def change_account(
    engine: AsyncEngine,
    email: str,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> Account:
    """Any of role, disabled and password, checked first and changed together; whatever
    changes (even nothing), the account's sessions end."""
    values: dict[str, object] = {}
    if role is not None:
        _check_role(role)
        values["role"] = role
    if disabled is not None:
        values["disabled"] = disabled
    if password is not None:
        _check_password(password)
        values["password_hash"] = await asyncio.to_thread(hash_password, password)
    return await _change(engine, email, **values)


async def set_password(engine: AsyncEngine, email: str, password: str) -> Account:
    return await change_account(engine, email, password=password)


async def end_all_sessions(engine: AsyncEngine, email: str) -> Account:
    return await change_account(engine, email)


async def remove_account(engine: AsyncEngine, email: str) -> Account:
    email = normalise_email(email)
    async with engine.begin() as conn:
        account = await _account(conn, email)
        await _keep_an_admin(conn, account, role="consultant")
        await conn.execute(delete(consultants).where(consultants.c.email == email))
        await conn.execute(delete(ended_sessions).where(ended_sessions.c.email == email))
    return account


async def end_session(engine: AsyncEngine, claims: Claims) -> None:
    """Logout: this session ends at once; the account's other sessions go on. Sessions ended
    long enough ago to have expired anyway are forgotten on the way."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(delete(ended_sessions).where(ended_sessions.c.expires_at < now))
        known = select(ended_sessions.c.session_id).where(
            ended_sessions.c.session_id == claims.session_id
        )
        if (await conn.execute(known)).first() is None:
            await conn.execute(
                insert(ended_sessions).values(
                    session_id=claims.session_id,
                    email=claims.email,
                    expires_at=claims.expires_at,
                )
            )


async def _change(engine: AsyncEngine, email: str, **values: object) -> Account:
    """Change an account and raise its token version, in one statement of one transaction, so
    its sessions end whatever else changes (or when nothing else does)."""
    email = normalise_email(email)
    async with engine.begin() as conn:
        account = await _account(conn, email)
        role = values.get("role", account.role)
        disabled = values.get("disabled", account.disabled)
        await _keep_an_admin(conn, account, role="consultant" if disabled else str(role))
        await conn.execute(
            update(consultants)
            .where(consultants.c.email == email)
            .values(token_version=consultants.c.token_version + 1, **values)
        )
        return await _account(conn, email)


async def _account(conn: AsyncConnection, email: str) -> Account:
    c = consultants.c
    query = select(c.email, c.role, c.token_version, c.disabled, c.created_at).where(
        c.email == email
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise NoAccount(f"{email} has no account")
    return _from_row(row)


def _from_row(row: Sequence[Any]) -> Account:
    email, role, version, disabled, created_at = row
    made = as_aware(created_at) if created_at is not None else None
    return Account(email, role, version, disabled, made)


async def _keep_an_admin(conn: AsyncConnection, account: Account, *, role: str) -> None:
    if account.role != "admin" or account.disabled or role == "admin":
        return
    others = select(func.count()).where(
        consultants.c.role == "admin",
        consultants.c.disabled == false(),
        consultants.c.email != account.email,
    )
    if (await conn.execute(others)).scalar_one() == 0:
        raise LastAdmin(f"{account.email} is the last enabled admin; make another admin first")


async def on_accounts(database_url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """For the command line: migrate the alerts database, then work on its accounts."""
    engine = create_engine(database_url)
    try:
        await migrate(engine, "alerts", MIGRATIONS)
        return await work(engine)
    finally:
        await engine.dispose()
