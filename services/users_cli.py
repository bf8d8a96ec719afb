"""`crm-journey users ...` and `crm-journey token`: consultant accounts from the command line.
Every change ends the account's sessions at once, in every service."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts import accounts
from services.common.auth import issue_token
from services.common.settings import CommonSettings

T = TypeVar("T")
users = typer.Typer(help="Consultant accounts", no_args_is_help=True)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="the embedded product's data (default .crm-data)")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="the alerts database, where accounts live (default: the embedded one)"),
]
Role = Annotated[str, typer.Option(help="consultant or admin")]


def _password_from_stdin() -> str:
    if sys.stdin.isatty():
        entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        return entered
    return sys.stdin.readline().rstrip("\r\n")


def _on_accounts(
    data_dir: Path, database_url: str | None, work: Callable[[AsyncEngine], Awaitable[T]]
) -> T:
    """Run `work` on the accounts; a refusal (no such account, bad value, last admin) is
    printed and exits with 2."""
    from services import embedded

    if database_url is None:
        embedded.private_data_dir(data_dir)
        database_url = f"sqlite:///{(data_dir / embedded.ALERTS_DB).resolve()}"
    try:
        return asyncio.run(accounts.on_accounts(database_url, work))
    except (ValueError, LookupError) as exc:
        typer.echo(f"refused: {str(exc).strip(chr(39))}", err=True)
        raise typer.Exit(2) from exc


@users.command("add")
def add_user(
    email: str,
    role: Role = "consultant",
    data_dir: DataDir = Path(".crm-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Add a consultant account; the password is read from standard input (one line)."""
    password = _password_from_stdin()
    added = _on_accounts(
        data_dir, database_url, lambda e: accounts.add_consultant(e, email, password, role)
    )
    typer.echo(f"added {added.email} as {added.role}")


@users.command("list")
def list_users(data_dir: DataDir = Path(".crm-data"), database_url: DatabaseUrl = None) -> None:
    """Every account: email, role, whether it is disabled, when it was made."""
    found = _on_accounts(data_dir, database_url, accounts.list_accounts)
    typer.echo(f"{'email':40} {'role':10} {'status':9} created")
    for a in found:
        made = a.created_at.strftime("%Y-%m-%d %H:%M") if a.created_at else "-"
        status = "disabled" if a.disabled else "active"
        typer.echo(f"{a.email:40} {a.role:10} {status:9} {made}")
    typer.echo(f"{len(found)} account(s)")


@users.command("disable")
def disable_user(
    email: str, data_dir: DataDir = Path(".crm-data"), database_url: DatabaseUrl = None
) -> None:
    """Disable an account: it cannot log in, and its sessions end now."""
    done = _on_accounts(
        data_dir, database_url, lambda e: accounts.change_account(e, email, disabled=True)
    )
    typer.echo(f"disabled {done.email}; its sessions have ended")


@users.command("enable")
def enable_user(
    email: str, data_dir: DataDir = Path(".crm-data"), database_url: DatabaseUrl = None
) -> None:
    """Enable a disabled account again (it logs in anew)."""
    done = _on_accounts(
        data_dir, database_url, lambda e: accounts.change_account(e, email, disabled=False)
    )
    typer.echo(f"enabled {done.email}")


@users.command("remove")
def remove_user(
    email: str, data_dir: DataDir = Path(".crm-data"), database_url: DatabaseUrl = None
) -> None:
    """Remove an account for good; its sessions end now."""
    done = _on_accounts(data_dir, database_url, lambda e: accounts.remove_account(e, email))
    typer.echo(f"removed {done.email}; its sessions have ended")


@users.command("set-password")
def set_user_password(
    email: str, data_dir: DataDir = Path(".crm-data"), database_url: DatabaseUrl = None
) -> None:
    """Set an account's password (read from standard input); its sessions end now."""
    password = _password_from_stdin()
    done = _on_accounts(
        data_dir, database_url, lambda e: accounts.change_account(e, email, password=password)
    )
    typer.echo(f"password of {done.email} set; its sessions have ended")


@users.command("set-role")
def set_user_role(
    email: str,
    role: Annotated[str, typer.Argument(help="consultant or admin")],
    data_dir: DataDir = Path(".crm-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Change an account's role; its sessions end now (the new role applies from its next
    login)."""
    done = _on_accounts(
        data_dir, database_url, lambda e: accounts.change_account(e, email, role=role)
    )
    typer.echo(f"{done.email} is now {done.role}; its sessions have ended")


def token(
    email: str,
    ttl_hours: Annotated[int, typer.Option(min=1, max=24 * 30)] = 12,
    data_dir: DataDir = Path(".crm-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Mint a session token for an existing, enabled account, signed with this installation's
    session secret (CRM_SESSION_SECRET, else the embedded one). It ends like any of the
    account's sessions: on a password or role change, disabling or removal."""
    from services import embedded

    secret = embedded.session_secret(CommonSettings(), data_dir)
    found = _on_accounts(data_dir, database_url, accounts.list_accounts)
    match = [a for a in found if a.email == accounts.normalise_email(email)]
    if not match or match[0].disabled:
        typer.echo(f"refused: {email} has no enabled account", err=True)
        raise typer.Exit(2)
    typer.echo(issue_token(secret, match[0].email, match[0].token_version, ttl_hours * 3600))
