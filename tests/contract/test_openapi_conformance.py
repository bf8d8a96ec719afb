"""Every operation of the product's OpenAPI document, fuzzed by schemathesis against the product
running for real (`crm-journey run` in a child process, on a data directory of its own): no
server error, and every answer's status, media type, headers and body as documented.

Bounded for CI; `make fuzz-api` (CRM_FUZZ_EXAMPLES=500) runs it longer."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.common.auth import SESSION_COOKIE
from tests.product import Product, running_product

EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Server-Sent Events: the answer never ends, so no request to it completes (tests/alerts covers it).
ENDLESS = "/v1/alerts/stream"


@schemathesis.serializer("text/csv")
def csv_body(_ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b""


@pytest.fixture(scope="module")
def fuzzed_product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    """A product of its own: what the fuzzing creates (prospects, accounts, notes) stays here."""
    yield from running_product(tmp_path_factory)


@pytest.fixture(scope="module")
def api(fuzzed_product: Product) -> Any:
    schema = schemathesis.openapi.from_url(f"{fuzzed_product.base}/openapi.json")
    schema.config.update(base_url=fuzzed_product.base, request_timeout=30)
    # Credentials are the test's to give, per operation, rather than generated ones.
    schema.config.generation.update(with_security_parameters=False)
    return schema.exclude(path=ENDLESS)


def credentials(operation: Any, product: Product, kind: str) -> dict[str, str]:
    """The credential the operation declares (the producer key, else an admin's session) as
    `kind` says: "bearer", "cookie" (sessions only), or "none"."""
    declared = operation.definition.raw.get("security", [])
    schemes = {name for item in declared for name in item}
    if kind == "none" or not schemes:
        return {}
    if "producerKey" in schemes:
        return {"Authorization": f"Bearer {product.producer_key}"}
    if "writeKey" in schemes:
        basic = base64.b64encode(f"{product.producer_key}:".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    if kind == "cookie":
        return {"Cookie": f"{SESSION_COOKIE}={product.token}"}
    return {"Authorization": f"Bearer {product.token}"}


def fuzz(operation: Any, headers: dict[str, str], examples: int) -> None:
    """Valid and invalid requests for one operation, each answer checked."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=True,
    )
    @hypothesis.given(case=cases)
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


@pytest.mark.parametrize(
    ("kind", "share"),
    [("bearer", 1), ("cookie", 5), ("none", 5)],
    ids=["with-bearer-credentials", "with-the-session-cookie", "without-credentials"],
)
def test_every_operation_answers_as_its_openapi_document_says(
    api: Any, fuzzed_product: Product, subtests: pytest.Subtests, kind: str, share: int
) -> None:
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25, "the document lost its operations"
    for operation in operations:
        with subtests.test(msg=operation.label):
            headers = credentials(operation, fuzzed_product, kind)
            fuzz(operation, headers, max(1, EXAMPLES // share))
