"""The OpenAPI document as the apps really answer. FastAPI documents what a route declares; what
the shared runtime kit adds around every route is filled in here, for every service alike:
the app's 422 shape (not FastAPI's default), 401/403 and the security scheme derived from the
route's `services.common.auth` dependency, 413 where a body can be sent (`BodyLimit`), and the
error shape of every 4xx/5xx a route declares without a model (`responses={404: {}}`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from services.common import auth

# An operation's `openapi_extra` may carry JSON Schema definitions its body refers to (as
# `#/components/schemas/<name>`); they are moved into the document's components.
DEFINITIONS = "x-definitions"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "session": {
        "type": "http",
        "scheme": "bearer",
        "description": "a consultant's session token, from `POST /v1/auth/login`",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": auth.SESSION_COOKIE,
        "description": "the same token as the pages keep it; a change of state sent with the "
        "cookie must be a same-origin JSON request, else 403",
    },
    "producerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "a website's write-only producer key (`CRM_INGEST_API_KEYS`)",
    },
    "writeKey": {
        "type": "http",
        "scheme": "basic",
        "description": "Segment's HTTP Tracking API: a producer key as the user, no password",
    },
}
SESSION: list[dict[str, list[str]]] = [{"session": []}, {"sessionCookie": []}]
PRODUCER: list[dict[str, list[str]]] = [{"producerKey": []}]


class FieldError(BaseModel):
    field: str = Field(description="dotted path of the field, `(body)` for the body itself")
    message: str


class Problem(BaseModel):
    """Every error answer of every service."""

    detail: str = Field(description="what was wrong, in words")
    errors: list[FieldError] = Field(
        default_factory=list, description="on a 422: each field that was wrong, and why"
    )


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its JSON body itself: `schema` is a JSON Schema
    whose `$defs` become components of the document."""
    defs = schema.get("$defs", {})
    own = {k: v for k, v in schema.items() if k not in ("$defs", "$schema", "$id", "title")}
    moved = json.loads(json.dumps([own, defs]).replace('"#/$defs/', '"#/components/schemas/'))
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": moved[0]}},
        },
        DEFINITIONS: moved[1],
    }


def truthful_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """A replacement for `app.openapi`: FastAPI's document, described as above, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(FastAPI.openapi(app), app.routes)
        return app.openapi_schema

    return openapi


def describe(doc: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(_component_schemas())
    components["securitySchemes"] = SECURITY_SCHEMES
    # FastAPI includes routers lazily: their routes are reached through route contexts.
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.include_in_schema:
            continue
        credential = _credential(route.dependant)
        for method in context.methods or ():
            operation = doc["paths"][context.path_format].get(method.lower())
            if operation is not None:
                _describe_operation(operation, method, credential, schemas)
    return doc


def _describe_operation(
    operation: dict[str, Any], method: str, credential: str | None, schemas: dict[str, Any]
) -> None:
    for name, definition in operation.pop(DEFINITIONS, {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name!r}")
    responses = operation.setdefault("responses", {})
    if credential is not None:
        operation["security"] = PRODUCER if credential == "producer" else SESSION
        responses.setdefault("401", {})["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}}
        }
    if credential in ("consultant", "admin"):
        # Sessions are checked against the accounts database; unreachable, it is a 503.
        responses.setdefault(
            "503",
            {
                "description": "sessions cannot be checked right now",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            },
        )
    changes = method in auth.STATE_CHANGING
    if credential == "admin" or (credential == "consultant" and changes):
        responses.setdefault("403", {})
    if changes or "requestBody" in operation:
        responses.setdefault("413", {})
    if "requestBody" in operation:
        # FastAPI's own answer to a body it cannot decode (not UTF-8, say), before validation.
        responses.setdefault("400", {})
    if "422" in responses and _is_fastapi_default(responses["422"]):
        responses["422"] = {}
    for code, response in responses.items():
        if code[0] in "45" and "content" not in response:
            response["content"] = {"application/json": {"schema": _ref("Problem")}}
        if not response.get("description"):
            response["description"] = HTTPStatus(int(code)).phrase


def _is_fastapi_default(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _credential(dependant: Dependant) -> str | None:
    calls = set(_calls(dependant))
    # A dependency that checks a producer key its own way (ingest's `?key=`) says so.
    if auth.producer in calls or any(getattr(c, "credential", None) == "producer" for c in calls):
        return "producer"
    if auth.admin in calls:
        return "admin"
    if auth.consultant in calls:
        return "consultant"
    return None


def _calls(dependant: Dependant) -> Iterable[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _component_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "Problem": schema}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def csv_answer(description: str = "the figures as CSV") -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that answers CSV (`text/csv; charset=utf-8`)."""
    return {200: {"description": description, "content": {"text/csv": {"schema": _TEXT}}}}


_TEXT = {"type": "string"}
