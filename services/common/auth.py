"""Who may call what. Producers (websites) hold write-only keys; consultants hold signed,
expiring session tokens, accepted as a bearer token (API) or a cookie (pages). Tokens are
verified with the shared secret alone, so every service checks them without a shared table.
A request that changes state with the cookie must be JSON from the product's own pages (or an
origin in `app.state.session_origins`), which no form or script of another site can send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

SESSION_COOKIE = "crm_session"
ROLES = ("consultant", "admin")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Consultant:
    email: str
    role: str


def issue_token(secret: str, email: str, role: str, ttl_s: int) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    payload = json.dumps({"sub": email, "role": role, "exp": int(time.time()) + ttl_s}).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    return f"{body.decode()}.{_sign(secret, body)}"


def verify_token(secret: str, token: str) -> Consultant | None:
    body, _, signature = token.partition(".")
    if not body or not secret or not hmac.compare_digest(signature, _sign(secret, body.encode())):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) < time.time():
        return None
    if claims.get("role") not in ROLES or not isinstance(claims.get("sub"), str):
        return None
    return Consultant(claims["sub"], claims["role"])


def _sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def consultant(request: Request) -> Consultant:
    """FastAPI dependency: the consultant behind the request's session, or 401; 403 for a
    cookie-authenticated change of state that is not a same-origin JSON request."""
    secret: str = request.app.state.session_secret
    bearer = _bearer(request)
    token = bearer or request.cookies.get(SESSION_COOKIE)
    if token is None:
        raise _unauthorized("a consultant session is required (Authorization: Bearer <token>)")
    who = verify_token(secret, token)
    if who is None:
        raise _unauthorized("the session token is invalid or expired")
    if bearer is None:
        refuse_cross_site(request)
    return who


def refuse_cross_site(request: Request) -> None:
    """403 unless a state-changing request is JSON sent by the product's own pages (or an
    allowed origin): a cross-site form cannot send JSON, and a cross-site script that does
    is named by `Sec-Fetch-Site` and `Origin`, which browsers set and pages cannot forge."""
    if request.method not in STATE_CHANGING:
        return
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="a change made with the session cookie must be a JSON request "
            "(Content-Type: application/json); API clients use Authorization: Bearer <token>",
        )
    if not _from_allowed_origin(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="a change made with the session cookie must come from this site's own pages; "
            "API clients use Authorization: Bearer <token>",
        )


def _from_allowed_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    allowed: frozenset[str] = getattr(request.app.state, "session_origins", frozenset())
    if origin is not None and origin in allowed:
        return True
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def page_session(request: Request) -> Consultant | None:
    """The consultant behind a page request's session cookie, or None: pages send such a
    visitor to the login page instead of answering 401."""
    token = request.cookies.get(SESSION_COOKIE)
    return verify_token(request.app.state.session_secret, token) if token else None


def admin(who: Annotated[Consultant, Depends(consultant)]) -> Consultant:
    """FastAPI dependency: an admin's session, or 403."""
    if who.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this needs an admin session")
    return who


def producer(request: Request) -> str:
    """FastAPI dependency: the producer key of the request, or 401."""
    keys: frozenset[str] = request.app.state.producer_keys
    key = _bearer(request)
    if key is None:
        raise _unauthorized("a producer key is required (Authorization: Bearer <key>)")
    if not any(hmac.compare_digest(key, k) for k in keys):
        raise _unauthorized("the producer key is not valid")
    return key


ConsultantSession = Annotated[Consultant, Depends(consultant)]
AdminSession = Annotated[Consultant, Depends(admin)]
ProducerKey = Annotated[str, Depends(producer)]
