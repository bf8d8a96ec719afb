"""The import, run from the command line straight against the journey database."""

from __future__ import annotations

from services.common.db import create_engine, migrate
from services.journey.commands.importing import Imported, import_contacts
from services.journey.handlers import Journey
from services.journey.main import rules_of
from services.journey.settings import JourneySettings
from services.journey.tables import prospects as store


async def import_file(database_url: str, text: str) -> Imported:
    """Raises ImportRefused when any row is rejected (then nothing is imported)."""
    engine = create_engine(database_url)
    try:
        await migrate(engine, "journey", store.MIGRATIONS)
        return await import_contacts(Journey(engine, rules_of(JourneySettings())), text)
    finally:
        await engine.dispose()
