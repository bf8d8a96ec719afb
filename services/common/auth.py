"""Who may call what. Producers (websites) hold write-only keys; consultants hold signed,
expiring session tokens, accepted as a bearer token (API) or a cookie (pages). A token's
signature is checked with the shared secret; whether its session still holds (not logged out,
account enabled, same token version) is asked of `app.state.sessions` (`services.common.sessions`).
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
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.common.sessions import Claims, Sessions, SessionsUnavailable

SESSION_COOKIE = "crm_session"
ROLES = ("consultant", "admin")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Consultant:
    email: str
    role: str


def issue_token(
    secret: str, email: str, version: int, ttl_s: int, *, session_id: str | None = None
) -> str:
    """A session token for the account `email` at its token `version`."""
    claims = {
        "sub": email,
        "ver": version,
        "sid": session_id or secrets.token_urlsafe(16),
        "exp": int(time.time()) + ttl_s,
    }
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{body.decode()}.{_sign(secret, body)}"


def read_token(secret: str, token: str) -> Claims | None:
    """The claims of a token signed with `secret` and not expired, else None."""
    body, _, signature = token.partition(".")
    if not body or not secret or not hmac.compare_digest(signature, _sign(secret, body.encode())):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(claims, dict):
        return None
    sub, ver, sid, exp = (claims.get(k) for k in ("sub", "ver", "sid", "exp"))
    if not (isinstance(sub, str) and isinstance(sid, str)):
        return None
    if type(ver) is not int or type(exp) is not int or exp < time.time():
        return None
    return Claims(sub, ver, sid, datetime.fromtimestamp(exp, UTC))


async def session_of(request: Request, token: str) -> Consultant | None:
    """The consultant whose session `token` is, while it holds; None if it never did or has
    ended; 503 if the accounts cannot be asked."""
    claims = read_token(request.app.state.session_secret, token)
    if claims is None:
        return None
    sessions: Sessions = request.app.state.sessions
    try:
        standing = await sessions.standing(claims)
    except SessionsUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="sessions cannot be checked right now; try again shortly",
            headers={"Retry-After": "5"},
        ) from exc
    return None if standing is None else Consultant(standing.email, standing.role)


def _sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_of(request: Request) -> str | None:
    """The session token a request carries: the bearer token, else the cookie."""
    return _bearer(request) or request.cookies.get(SESSION_COOKIE)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def consultant(request: Request) -> Consultant:
    """FastAPI dependency: the consultant behind the request's session, or 401; 403 for a
    cookie-authenticated change of state that is not a same-origin JSON request."""
    bearer = _bearer(request)
    token = token_of(request)
    if token is None:
        raise _unauthorized("a consultant session is required (Authorization: Bearer <token>)")
    who = await session_of(request, token)
    if who is None:
        raise _unauthorized("the session is invalid, expired or ended; log in again")
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


def refuse_foreign_login(request: Request) -> None:
    """403 for a login sent by a page of another site, which could otherwise sign a visitor
    into an account of the attacker's choosing (login CSRF). Requests that name no page
    (curl, scripts: no `Origin`, no `Sec-Fetch-Site`) may log in."""
    if "origin" not in request.headers and "sec-fetch-site" not in request.headers:
        return
    if not _from_allowed_origin(request):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="logging in must happen on this site's own login page",
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


async def page_session(request: Request) -> Consultant | None:
    """The consultant behind a page request's session cookie, or None: pages send such a
    visitor to the login page instead of answering 401."""
    token = request.cookies.get(SESSION_COOKIE)
    return await session_of(request, token) if token else None


async def admin(who: Annotated[Consultant, Depends(consultant)]) -> Consultant:
    """FastAPI dependency: an admin's session, or 403."""
    if who.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this needs an admin session")
    return who


async def producer(request: Request) -> str:
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
