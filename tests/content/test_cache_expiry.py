"""The seven-day cache, by the service's clock: the content service in this process on SQLite,
its real Anthropic client on the local stub."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.common.db import create_engine, migrate, sqlite_url
from services.content import store
from services.content.generator import AnthropicGenerator
from services.content.handlers import Content, SetMetadata
from services.content.retrieval import Library
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.content.test_domain import T0


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    with anthropic_stub() as running:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", running.base_url)
        yield running


def metadata(title: str) -> SetMetadata:
    return SetMetadata("weekly", title, "A tagline", ("sales",), "warm", "", "", (), "sam@x.com")


def calls_at(stub: Stub, tmp_path: Path, steps: list[tuple[timedelta, str]]) -> list[int]:
    """Model calls made so far after each gate request at T0 + offset (a title other than the
    current one sets the metadata first)."""

    async def run() -> list[int]:
        engine = create_engine(sqlite_url(tmp_path / "content.db"))
        await migrate(engine, "content", store.MIGRATIONS)
        now = {"at": T0}
        generator = AnthropicGenerator("m", timeout_s=5, max_tokens=256)
        content = Content(
            engine,
            None,
            generator,
            Library.load(),
            budget_s=5,
            max_age=timedelta(days=7),
            clock=lambda: now["at"],
        )
        out, title = [], None
        try:
            for offset, wanted in steps:
                now["at"] = T0 + offset
                if wanted != title:
                    await content.set_metadata(metadata(wanted))
                    title = wanted
                shown = await content.gate("weekly", "v-1")
                assert shown is not None and not shown.fallback
                out.append(stub.calls)
        finally:
            await generator.close()
            await engine.dispose()
        return out

    return asyncio.run(run())


def test_copy_is_served_for_seven_days_from_its_generation_then_generated_again(
    stub: Stub, tmp_path: Path
) -> None:
    steps = [
        (timedelta(0), "Weekly"),
        (timedelta(days=6, hours=23), "Weekly"),
        (timedelta(days=7), "Weekly"),
        (timedelta(days=8), "Weekly"),
    ]

    assert calls_at(stub, tmp_path, steps) == [1, 1, 2, 2]


def test_new_metadata_asks_for_new_copy(stub: Stub, tmp_path: Path) -> None:
    steps = [
        (timedelta(0), "Weekly"),
        (timedelta(hours=1), "Renamed"),
        (timedelta(hours=2), "Renamed"),
    ]

    assert calls_at(stub, tmp_path, steps) == [1, 2, 2]
