"""Consultant sessions for tests: an account in the accounts (alerts) database, made if missing,
and a token for it, as logging in would give."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts import accounts
from services.common.auth import issue_token
from services.common.db import create_engine, migrate

PASSWORD = "a-test-password-long-enough"


async def account(engine: AsyncEngine, email: str, role: str = "consultant") -> accounts.Account:
    await migrate(engine, "alerts", accounts.MIGRATIONS)
    try:
        return await accounts.add_consultant(engine, email, PASSWORD, role)
    except accounts.AccountExists:
        found = [a for a in await accounts.list_accounts(engine) if a.email == email]
        return found[0]


async def session_token(
    engine: AsyncEngine, secret: str, email: str, role: str = "consultant", ttl_s: int = 3600
) -> str:
    made = await account(engine, email, role)
    return issue_token(secret, made.email, made.token_version, ttl_s)


def signed_in(database_url: str, secret: str, email: str, role: str = "consultant") -> str:
    """From synchronous code: a session token of `email` in the accounts at `database_url`."""

    async def work() -> str:
        engine = create_engine(database_url)
        try:
            return await session_token(engine, secret, email, role)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


def embedded_accounts(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'alerts.db').resolve()}"
