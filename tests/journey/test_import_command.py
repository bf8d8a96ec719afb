"""The import command the HTTP API and `crm-journey import` both run: a whole file or nothing,
answered as a plain result or a refusal, each with the report both print."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from schemas.envelope import Event
from services.journey.commands.importing import ImportRefused, import_contacts, prospect_id_for


class KnowsAnn:
    """The journey, as far as the import asks of it: it already knows ann@example.com."""

    def __init__(self) -> None:
        self.imported: list[str] = []

    async def import_prospects(self, rows: Sequence[Event]) -> list[str]:
        known = prospect_id_for("ann@example.com")
        self.imported += [r.subject_id for r in rows if r.subject_id != known]
        return [known]


async def test_an_import_reports_what_it_imported_and_skips_known_prospects() -> None:
    journey = KnowsAnn()

    done = await import_contacts(journey, "email,stage\nann@example.com,2\nbob@example.com,3\n")

    assert journey.imported == [prospect_id_for("bob@example.com")]
    report = done.report()
    assert list(report) == ["rows", "rejected", "import_id", "imported", "skipped_known"]
    assert (report["rows"], report["rejected"], report["imported"]) == (2, [], 1)
    assert report["skipped_known"] == [prospect_id_for("ann@example.com")]


async def test_a_file_with_a_rejected_row_is_refused_whole_naming_each_line() -> None:
    journey = KnowsAnn()

    with pytest.raises(ImportRefused) as refused:
        await import_contacts(journey, "email,stage\nbob@example.com,3\ncid@example.com,two\n")

    assert journey.imported == []
    report = refused.value.report()
    assert list(report) == ["rows", "rejected", "imported", "detail"]
    assert (report["rows"], report["imported"]) == (2, 0)
    assert [r["line"] for r in report["rejected"]] == [3]
    assert report["detail"] == "nothing was imported: fix the rejected rows and retry"


async def test_a_file_without_rows_is_refused() -> None:
    with pytest.raises(ImportRefused, match=r"^no rows$"):
        await import_contacts(KnowsAnn(), "email,stage\n")


async def test_a_file_with_old_mac_line_breaks_is_read_line_by_line() -> None:
    journey = KnowsAnn()

    done = await import_contacts(journey, "email,stage\rbob@example.com,3\rcid@example.com,2\r")

    assert done.imported == 2
    assert journey.imported == [
        prospect_id_for("bob@example.com"),
        prospect_id_for("cid@example.com"),
    ]


async def test_a_file_the_csv_reader_cannot_take_apart_is_refused_naming_its_line() -> None:
    # A cell over the csv module's field limit (128 KiB), on line 3.
    text = "email,name\nbob@example.com,Bob\ncid@example.com," + "x" * 200_000 + "\n"

    with pytest.raises(ImportRefused) as refused:
        await import_contacts(KnowsAnn(), text)

    [rejected] = refused.value.report()["rejected"]
    assert rejected["line"] == 3
    assert rejected["errors"][0]["field"] == "(file)"
    assert "not readable as CSV" in rejected["errors"][0]["message"]
