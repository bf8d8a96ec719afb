from services.billing.store import metadata
from services.common.db import run_alembic_env

run_alembic_env(metadata)
