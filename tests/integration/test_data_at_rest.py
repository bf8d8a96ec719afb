"""The embedded data directory and everything in it are readable by the owner alone."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from services import embedded
from services.common.settings import CommonSettings
from tests.product import Product


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_running_product_keeps_its_directory_0700_and_every_file_0600(product: Product) -> None:
    answer = product.post({"type": "visitor.identified", "visitor_id": "v-rest", "email": "r@x.io"})
    assert answer.status_code == 202
    files = sorted(p.name for p in product.data_dir.iterdir() if p.is_file())
    assert {"events.db", "events.db-wal", "journey.db", "alerts.db"} <= set(files)
    assert mode(product.data_dir) == 0o700
    assert {name: mode(product.data_dir / name) for name in files} == dict.fromkeys(files, 0o600)


def test_a_fresh_data_directory_is_created_private_with_private_secrets(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / ".crm-data"
    embedded.create_app(
        data_dir, CommonSettings(session_secret=SecretStr(""), ingest_api_keys=SecretStr(""))
    )
    assert mode(data_dir) == 0o700
    for name in (*embedded.DATABASES, embedded.SESSION_SECRET_FILE, embedded.INGEST_KEY_FILE):
        assert mode(data_dir / name) == 0o600, name


def test_a_directory_an_older_version_left_readable_is_tightened_on_start(tmp_path: Path) -> None:
    data_dir = tmp_path / ".crm-data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    for name in ("journey.db", "journey.db-wal", "journey.db-shm", "session-secret"):
        (data_dir / name).write_bytes(b"")
        (data_dir / name).chmod(0o644)
    common = CommonSettings(session_secret=SecretStr("s" * 32), ingest_api_keys=SecretStr("pk"))
    embedded.create_app(data_dir, common)
    assert mode(data_dir) == 0o700
    assert {p.name: mode(p) for p in data_dir.iterdir()} == {
        p.name: 0o600 for p in data_dir.iterdir()
    }
    assert (data_dir / "journey.db-shm").exists()
