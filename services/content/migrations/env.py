from services.common.db import run_alembic_env
from services.content.store import metadata

run_alembic_env(metadata)
