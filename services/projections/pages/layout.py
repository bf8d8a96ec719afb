"""What every page shares: the Jinja2 templates, the static CSS and JavaScript files (served with
long cache lives under content-hashed URLs), the Content-Security-Policy that allows exactly those
scripts by hash, and the consultant-session check that sends a visitor to the login page."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.common.auth import Consultant, page_session

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_PATH = "/static/projections"
HOME = "/customerjourney"

# Every page, in the order the navigation shows them.
NAVIGATION = (
    ("/customerjourney", "Customer journey"),
    ("/journeykanban", "Kanban"),
    ("/humansherpadashboard", "Alerts"),
    ("/customerplanningreview", "Planning review"),
    ("/analyticsdashboard", "Analytics"),
    ("/playbookanalytics", "Playbooks"),
)

# Every page loads these first; a page's own scripts and styles come after them.
BASE_SCRIPTS = ("format.js", "layout.js")
BASE_STYLES = ("base.css",)


@dataclass(frozen=True)
class StaticFile:
    name: str
    body: bytes
    media_type: str

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.body).digest()

    @property
    def version(self) -> str:
        return self.digest.hex()[:16]

    @property
    def url(self) -> str:
        return f"{STATIC_PATH}/{self.name}?v={self.version}"

    @property
    def integrity(self) -> str:
        return "sha256-" + base64.b64encode(self.digest).decode()


def load_static(folder: Path = STATIC) -> dict[str, StaticFile]:
    files = {}
    for path in sorted(folder.iterdir()):
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type.endswith("javascript"):
            media_type += "; charset=utf-8"
        files[path.name] = StaticFile(path.name, path.read_bytes(), media_type)
    return files


def content_security_policy(files: Mapping[str, StaticFile]) -> str:
    """Scripts only from these files, each allowed by its hash (pages load them with a matching
    `integrity`); stylesheets only from this origin, since browsers do not match a linked
    stylesheet against a hash; no inline script or style anywhere; fetches to this origin."""
    scripts = " ".join(f"'{f.integrity}'" for f in files.values() if f.name.endswith(".js"))
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self'; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


class Pages:
    """The templates and static files, read once when the service is built."""

    def __init__(self, templates: Path = TEMPLATES, static: Path = STATIC):
        self.files = load_static(static)
        self.csp = content_security_policy(self.files)
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["static"] = self.files.__getitem__
        self.env.globals["navigation"] = NAVIGATION
        self.env.filters["prospect_url"] = prospect_url

    def headers(self) -> dict[str, str]:
        """What every page is served with: its script allowance, and never cached."""
        return {
            "Content-Security-Policy": self.csp,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }

    def render(
        self,
        template: str,
        *,
        title: str,
        here: str,
        scripts: Sequence[str] = (),
        styles: Sequence[str] = (),
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            title=title,
            here=here,
            scripts=(*BASE_SCRIPTS, *scripts),
            styles=(*BASE_STYLES, *styles),
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=self.headers())

    def router(self) -> APIRouter:
        served = APIRouter(include_in_schema=False)

        @served.get(STATIC_PATH + "/{name}")
        async def static_file(name: str, request: Request) -> Response:
            found = self.files.get(name)
            if found is None:
                raise HTTPException(404, f"no static file {name!r}")
            current = request.query_params.get("v") == found.version
            return Response(
                found.body,
                media_type=found.media_type,
                headers={
                    "Cache-Control": "public, max-age=31536000, immutable"
                    if current
                    else "no-cache",
                    "ETag": f'"{found.version}"',
                    "X-Content-Type-Options": "nosniff",
                },
            )

        return served


def prospect_url(prospect_id: str) -> str:
    """Where a prospect's record page is: every card, alert and row links there."""
    return "/prospects/" + quote(prospect_id, safe="")


async def consultant_page(request: Request) -> Consultant:
    """FastAPI dependency of every page: the consultant signed in with the session cookie; a
    visitor without one is sent to the login page, and back here after it."""
    who = await page_session(request)
    if who is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/login?next={quote(here, safe='/')}"})
    return who


ConsultantPage = Annotated[Consultant, Depends(consultant_page)]
