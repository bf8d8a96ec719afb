from services.common.db import run_alembic_env
from services.journey.store import metadata

run_alembic_env(metadata)
