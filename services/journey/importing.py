"""Reading a CSV of contacts that predate go-live: every row is checked, and the file is taken
whole or not at all, so a fix-and-retry never leaves half an import behind."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from schemas.catalogue import field_errors
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


def prospect_id_for(email: str) -> str:
    """The id of an imported contact that has none: stable, so a re-import finds it again."""
    return f"imp-{uuid.uuid5(_IMPORT_NAMESPACE, email.strip().lower()).hex[:20]}"


def parse_csv(text: str, *, import_id: str, now: datetime) -> Parsed:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
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
