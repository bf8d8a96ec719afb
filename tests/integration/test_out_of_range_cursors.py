"""A paging cursor made up with a time at the edge of the calendar is refused, not a 500."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.product import Product


def made_up(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_board_cursor_near_year_1_or_9999_is_a_422_naming_it(product: Product, at: str) -> None:
    answer = product.get(f"/v1/board?cursor={made_up(f'{at}|v-1')}")
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["query.cursor"]


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_an_alert_cursor_near_year_1_or_9999_is_a_422_naming_it(product: Product, at: str) -> None:
    answer = product.get(f"/v1/alerts?cursor={made_up(f'HIGH|{at}|{uuid.uuid4()}')}")
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["query.cursor"]
