from services.common.db import run_alembic_env
from services.projections.tables.board import metadata

run_alembic_env(metadata)
