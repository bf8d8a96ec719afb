from services.common.db import run_alembic_env
from services.journey.tables.prospects import metadata

run_alembic_env(metadata)
