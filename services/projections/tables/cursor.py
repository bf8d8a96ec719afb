"""The board's paging cursor: the (last activity, prospect id) of the last row a page showed."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from services.common.db import as_utc
from services.projections.models.board import BoardRow


def encode_cursor(last: BoardRow) -> str:
    raw = f"{as_utc(last.last_activity_at).isoformat()}|{last.prospect_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError for anything `encode_cursor` did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc
    at, sep, last = raw.partition("|")
    when = datetime.fromisoformat(at)
    if not sep or not last or when.tzinfo is None:
        raise ValueError("not a cursor")
    try:
        return as_utc(when), last
    except OverflowError as exc:  # a made-up time near year 1 or 9999
        raise ValueError("not a cursor") from exc
