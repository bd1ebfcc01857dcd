"""Accounts of the dashboard, kept in the state database, passwords hashed with argon2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from ..journal.schema import web_accounts
from ..journal.store import utcnow
from .roles import GRANTS, Permission, Role

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the user name is unknown, so that a wrong name costs as much as a wrong
    password; made on first use (hashing takes a fifth of a second: not at every command)."""
    return _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A request on accounts that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: Role
    composantes: tuple[str, ...]
    display_name: str
    generation: int
    has_password: bool

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def restricted(self) -> bool:
        """True when the account sees only its composantes."""
        return self.role is Role.SCOLARITE

    def sees_composante(self, code: str | None) -> bool:
        return not self.restricted or (code is not None and code in self.composantes)


def _account(row: Any) -> Account:
    return Account(
        username=row.username,
        role=Role(row.role),
        composantes=tuple(row.composantes or ()),
        display_name=row.display_name,
        generation=row.generation,
        has_password=bool(row.password_hash),
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")


def _check(role: Role, composantes: Sequence[str]) -> None:
    if role is Role.SCOLARITE and not composantes:
        raise AccountError("a scolarite account needs at least one composante (--composante)")


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(web_accounts).where(web_accounts.c.username == username)
            ).first()
        return _account(row) if row is not None else None

    def all(self) -> list[Account]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(web_accounts).order_by(web_accounts.c.username))
            return [_account(row) for row in rows]

    def add(
        self,
        username: str,
        role: Role,
        composantes: Sequence[str] = (),
        display_name: str = "",
        password: str | None = None,
    ) -> Account:
        """Creates an account; without a password it logs in only through the proxy header."""
        username = username.strip()
        if not username:
            raise AccountError("a user name cannot be empty")
        _check(role, composantes)
        if password is not None:
            check_password(password)
        if self.get(username) is not None:
            raise AccountError(f"the account {username!r} exists already")
        now = utcnow()
        with self.engine.begin() as connection:
            connection.execute(
                insert(web_accounts).values(
                    username=username,
                    role=str(role),
                    composantes=sorted(set(composantes)),
                    display_name=display_name,
                    password_hash=_hasher.hash(password) if password is not None else "",
                    generation=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        account = self.get(username)
        assert account is not None
        return account

    def _change(self, username: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(web_accounts)
                .where(web_accounts.c.username == username)
                .values(generation=web_accounts.c.generation + 1, updated_at=utcnow(), **values)
            )
        if result.rowcount == 0:
            raise AccountError(f"no account named {username!r}")

    def set_password(self, username: str, password: str) -> None:
        """Replaces the password and ends the account's open sessions."""
        check_password(password)
        self._change(username, password_hash=_hasher.hash(password))

    def set_role(self, username: str, role: Role, composantes: Sequence[str]) -> None:
        _check(role, composantes)
        self._change(username, role=str(role), composantes=sorted(set(composantes)))

    def remove(self, username: str) -> None:
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(web_accounts).where(web_accounts.c.username == username)
            )
        if result.rowcount == 0:
            raise AccountError(f"no account named {username!r}")

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right, else None (same cost either way)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(web_accounts).where(web_accounts.c.username == username.strip())
            ).first()
        stored = row.password_hash if row is not None and row.password_hash else _dummy_hash()
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.password_hash:
            return None
        if _hasher.check_needs_rehash(stored):
            with self.engine.begin() as connection:
                connection.execute(
                    update(web_accounts)
                    .where(web_accounts.c.username == row.username)
                    .values(password_hash=_hasher.hash(password))
                )
        self.record_login(row.username)
        return _account(row)

    def record_login(self, username: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(web_accounts)
                .where(web_accounts.c.username == username)
                .values(last_login_at=utcnow())
            )
