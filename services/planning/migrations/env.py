from services.common.db import run_alembic_env
from services.planning.store import metadata

run_alembic_env(metadata)
