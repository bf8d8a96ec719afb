"""Importing a CSV of contacts that predate go-live: every row is checked, and the file is taken
whole or not at all, so a fix-and-retry never leaves half an import behind. The HTTP API and the
command line both run `import_contacts` and shape its answer with `report()`."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from schemas.catalogue import field_errors
from schemas.envelope import Event
from schemas.web import ProspectImportedV1

COLUMNS = ("email", "name", "stage", "points", "id")
REQUIRED = ("email",)
MAX_ROWS = 50_000
_IMPORT_NAMESPACE = uuid.UUID("0b7d3f38-5d0c-4f0e-9a53-6a3e1f6f2c11")


@dataclass(frozen=True)
class Rejected:
    line: int
    errors: list[dict[str, str]]


@dataclass(frozen=True)
class Parsed:
    rows: list[ProspectImportedV1]
    rejected: list[Rejected]


@dataclass(frozen=True)
class Imported:
    import_id: str
    rows: int
    imported: int
    skipped_known: list[str]

    def report(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rejected": [],
            "import_id": self.import_id,
            "imported": self.imported,
            "skipped_known": self.skipped_known,
        }


class ImportRefused(ValueError):
    """Nothing was imported: some rows were rejected, or there were none."""

    def __init__(self, rows: int, rejected: list[Rejected]):
        self.rows, self.rejected = rows, rejected
        super().__init__(
            "nothing was imported: fix the rejected rows and retry" if rejected else "no rows"
        )

    def report(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rejected": [{"line": r.line, "errors": r.errors} for r in self.rejected],
            "imported": 0,
            "detail": str(self),
        }


class Importer(Protocol):
    async def import_prospects(self, rows: Sequence[Event]) -> list[str]: ...


async def import_contacts(journey: Importer, text: str) -> Imported:
    """Import every row of the CSV `text`, or none (ImportRefused); prospects the journey
    already knows are skipped."""
    import_id = str(uuid.uuid4())
    parsed = parse_csv(text, import_id=import_id, now=datetime.now(UTC))
    rows = len(parsed.rows) + len(parsed.rejected)
    if parsed.rejected or not parsed.rows:
        raise ImportRefused(rows, parsed.rejected)
    skipped = await journey.import_prospects(parsed.rows)
    imported = [r.subject_id for r in parsed.rows if r.subject_id not in set(skipped)]
    return Imported(import_id, rows, len(imported), skipped)


def prospect_id_for(email: str) -> str:
    """The id of an imported contact that has none: stable, so a re-import finds it again."""
    return f"imp-{uuid.uuid5(_IMPORT_NAMESPACE, email.strip().lower()).hex[:20]}"


def parse_csv(text: str, *, import_id: str, now: datetime) -> Parsed:
    # newline="": the csv module places line breaks itself, a lone \r included.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _parse(reader, import_id=import_id, now=now)
    except csv.Error as exc:
        # A file the reader cannot take apart (say, a line break inside an unquoted cell) is
        # the sender's to fix, like any rejected row.
        problem = {"field": "(file)", "message": f"not readable as CSV: {exc}"}
        return Parsed([], [Rejected(reader.line_num + 1, [problem])])


def _parse(reader: csv.DictReader[str], *, import_id: str, now: datetime) -> Parsed:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    problems = [f"unknown column {h!r}" for h in header if h not in COLUMNS]
    problems += [f"missing column {c!r}" for c in REQUIRED if c not in header]
    if problems:
        return Parsed([], [Rejected(1, [{"field": "(header)", "message": p} for p in problems])])
    reader.fieldnames = header

    rows: list[ProspectImportedV1] = []
    rejected: list[Rejected] = []
    first_line_of: dict[str, int] = {}
    for count, raw in enumerate(reader, start=1):
        line = reader.line_num
        if count > MAX_ROWS:
            rejected.append(
                Rejected(line, [{"field": "(file)", "message": f"more than {MAX_ROWS} rows"}])
            )
            break
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            rejected.append(
                Rejected(line, [{"field": "(row)", "message": "more cells than columns"}])
            )
            continue
        email = values.get("email", "").lower()
        try:
            row = ProspectImportedV1(
                event_id=uuid.uuid5(_IMPORT_NAMESPACE, f"{import_id}:{email}"),
                occurred_at=now,
                subject_id=values.get("id") or prospect_id_for(email or f"line-{line}"),
                email=email or None,
                name=values.get("name") or None,
                stage=values.get("stage") or 1,
                points=values.get("points") or 0,
                import_id=import_id,
            )
        except ValidationError as exc:
            rejected.append(Rejected(line, _renamed(field_errors(exc))))
            continue
        if not email:
            rejected.append(Rejected(line, [{"field": "email", "message": "an email is required"}]))
            continue
        if email in first_line_of:
            message = f"the same email as line {first_line_of[email]}"
            rejected.append(Rejected(line, [{"field": "email", "message": message}]))
            continue
        first_line_of[email] = line
        rows.append(row)
    return Parsed(rows, rejected)


def _renamed(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{**e, "field": "id" if e["field"] == "subject_id" else e["field"]} for e in errors]
