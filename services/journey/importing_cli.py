"""The import, run from the command line straight against the journey database."""

from __future__ import annotations

import json
from typing import Any

from services.common.db import create_engine, migrate
from services.journey import store
from services.journey.api import run_import
from services.journey.handlers import Journey
from services.journey.main import rules_of
from services.journey.settings import JourneySettings


async def import_file(database_url: str, text: str) -> tuple[int, dict[str, Any]]:
    engine = create_engine(database_url)
    try:
        await migrate(engine, "journey", store.MIGRATIONS)
        answer = await run_import(Journey(engine, rules_of(JourneySettings())), text)
        return answer.status_code, json.loads(bytes(answer.body))
    finally:
        await engine.dispose()
