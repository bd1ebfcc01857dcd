"""`jonction web-user`: accounts of the dashboard (passwords from a prompt or stdin only)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..config import Settings
from ..db import make_engine
from ..journal.store import Journal
from ..web.accounts import AccountError, AccountStore
from ..web.roles import Role
from .common import ConfigOption, console, err_console, settings_or_exit

web_user = typer.Typer(
    name="web-user",
    help="Manage the accounts of the dashboard (jonction serve).",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="User name (the login).", show_default=False)]
RoleOption = Annotated[
    Role,
    typer.Option(
        "--role",
        help="admin: everything; scolarite: read, restricted to --composante; "
        "support: explain only.",
        case_sensitive=False,
    ),
]
ComposanteOption = Annotated[
    list[str] | None,
    typer.Option(
        "--composante", help="A composante code (COD_CMP) a scolarite account sees; repeat."
    ),
]
StdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(web_user)


def _store(settings: Settings) -> AccountStore:
    journal = Journal(make_engine(settings.state.url))
    journal.ensure_schema()
    return AccountStore(journal.engine)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _fail(exc: AccountError) -> typer.Exit:
    err_console.print(f"[red]{escape(str(exc))}[/]")
    return typer.Exit(1)


@web_user.command("add")
def add(
    username: NameArgument,
    role: RoleOption = Role.SUPPORT,
    composante: ComposanteOption = None,
    name: str = typer.Option("", "--name", help="Name shown in the dashboard."),
    proxy_only: bool = typer.Option(
        False,
        "--proxy-only",
        help="No password: the account logs in only through the reverse proxy header.",
    ),
    password_stdin: StdinOption = False,
    config: ConfigOption = None,
) -> None:
    """Create an account; the password is asked twice (or read from stdin)."""
    store = _store(settings_or_exit(config))
    password = None if proxy_only else _read_password(password_stdin)
    try:
        store.add(username, role, composante or [], name, password)
    except AccountError as exc:
        raise _fail(exc) from None
    console.print(f"account {escape(username)} created ({role})")


@web_user.command("passwd")
def passwd(
    username: NameArgument, password_stdin: StdinOption = False, config: ConfigOption = None
) -> None:
    """Change an account's password; its open sessions end."""
    store = _store(settings_or_exit(config))
    if store.get(username) is None:
        raise _fail(AccountError(f"no account named {username!r}"))
    try:
        store.set_password(username, _read_password(password_stdin))
    except AccountError as exc:
        raise _fail(exc) from None
    console.print(f"password of {escape(username)} changed")


@web_user.command("role")
def role(
    username: NameArgument,
    role: RoleOption = Role.SUPPORT,
    composante: ComposanteOption = None,
    config: ConfigOption = None,
) -> None:
    """Change an account's role and composantes; its open sessions end."""
    store = _store(settings_or_exit(config))
    try:
        store.set_role(username, role, composante or [])
    except AccountError as exc:
        raise _fail(exc) from None
    console.print(f"{escape(username)} is now {role}")


@web_user.command("remove")
def remove(username: NameArgument, config: ConfigOption = None) -> None:
    """Delete an account; its open sessions end."""
    store = _store(settings_or_exit(config))
    try:
        store.remove(username)
    except AccountError as exc:
        raise _fail(exc) from None
    console.print(f"account {escape(username)} removed")


@web_user.command("list")
def list_accounts(config: ConfigOption = None) -> None:
    """List the accounts (never their passwords)."""
    store = _store(settings_or_exit(config))
    table = Table()
    for column in ("user", "role", "composantes", "name", "login"):
        table.add_column(column)
    for account in store.all():
        table.add_row(
            escape(account.username),
            str(account.role),
            escape(", ".join(account.composantes)),
            escape(account.display_name),
            "password" if account.has_password else "proxy only",
        )
    console.print(table)
