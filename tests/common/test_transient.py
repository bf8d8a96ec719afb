"""Which failures blame the dependency (retry the batch later) and which the message (retry it,
then dead-letter it): the database's SQLSTATE decides, through SQLAlchemy's wrapping."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from services.common.transport import is_transient


def wrapped(error: Exception) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises it: DBAPIError around its adapted Error."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(error), error)
    return DBAPIError("SELECT 1", {}, adapted)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is not yet accepting"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.ConnectionFailureError("connection failure"),
    ],
)
def test_the_database_down_starting_or_busy_is_transient(error: Exception) -> None:
    assert is_transient(wrapped(error))
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"),
        asyncpg.exceptions.StringDataRightTruncationError("value too long"),
        asyncpg.exceptions.UniqueViolationError("duplicate key value"),
    ],
)
def test_what_the_message_holds_is_not_transient(error: Exception) -> None:
    assert not is_transient(wrapped(error))
    assert not is_transient(ValueError("a handler's own bug"))
