"""Whether a signed session is still good. A token names its account, the account's token
version when it was issued and its own session id; it is good while the account exists, is not
disabled, still has that version and the session was not ended by a logout. Password changes,
disabling, removing and role changes raise the version, so every token of the account ends at
once in every service and instance that checks here: the accounts live in one database (the
alerts service's, which owns and migrates them) and each check is one primary-key lookup."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    not_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine

log = logging.getLogger(__name__)

# The alerts service's tables (its migrations 0002 and 0003 create them), read here only.
_tables = MetaData()
accounts = Table(
    "alerts_consultants",
    _tables,
    Column("email", String(320), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("token_version", Integer, nullable=False),
)
ended_sessions = Table(
    "alerts_ended_sessions",
    _tables,
    Column("session_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Claims:
    """What a verified token says; whether it still holds is the Sessions' answer."""

    email: str
    version: int
    session_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Standing:
    email: str
    role: str


class SessionsUnavailable(RuntimeError):
    """The accounts database could not be asked: the caller answers 503, never lets it in."""


class Sessions:
    """Checks sessions against the accounts database, given as an engine (shared with the
    service that has one on it) or a URL (an engine made on first use, closed by `close`)."""

    def __init__(self, target: AsyncEngine | str) -> None:
        self._engine = target if isinstance(target, AsyncEngine) else None
        self._url = target if isinstance(target, str) else None

    async def standing(self, claims: Claims) -> Standing | None:
        ended = exists().where(ended_sessions.c.session_id == claims.session_id)
        query = select(accounts.c.role).where(
            and_(
                accounts.c.email == claims.email,
                accounts.c.token_version == claims.version,
                not_(accounts.c.disabled),
                not_(ended),
            )
        )
        try:
            async with self._engine_for_checks().connect() as conn:
                role = (await conn.execute(query)).scalar_one_or_none()
        except SQLAlchemyError as exc:
            log.warning("cannot check a session: the accounts database answered %r", exc)
            raise SessionsUnavailable("the accounts database cannot be reached") from exc
        return None if role is None else Standing(claims.email, role)

    def _engine_for_checks(self) -> AsyncEngine:
        if self._engine is None:
            assert self._url is not None
            self._engine = create_engine(self._url)
        return self._engine

    async def close(self) -> None:
        if self._url is not None and self._engine is not None:
            await self._engine.dispose()
            self._engine = None
