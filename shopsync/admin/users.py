"""Admin users: passwords hashed with scrypt, sessions tied to the password.

A session names the user and a fingerprint of the user's password hash, so setting a
new password signs out every other session. Signing in with an unknown email costs the
same hash check as a wrong password, so timing does not say which emails exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from shopsync.clock import utcnow
from shopsync.crypto import same_secret
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import AdminUser, AdminUserStore, Store
from shopsync.models.limits import column_limit

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
FINGERPRINT_LENGTH = 16
# Checked when the email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not anyone's password")


class AdminUserError(ShopsyncError):
    """A user cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class AdminIdentity:
    """A signed-in user, in the shape Flask-Login expects of one."""

    id: int
    email: str
    all_stores: bool
    store_ids: frozenset[int]
    session_id: str
    is_authenticated: bool = field(default=True, init=False)
    is_active: bool = field(default=True, init=False)
    is_anonymous: bool = field(default=False, init=False)

    def get_id(self) -> str:
        return self.session_id

    def may_see(self, store_id: int) -> bool:
        return self.all_stores or store_id in self.store_ids


@dataclass(frozen=True)
class UserSummary:
    email: str
    all_stores: bool
    store_ids: tuple[int, ...]
    created_at: datetime
    last_login_at: datetime | None


def normalize_email(text: str) -> str:
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in email):
        raise AdminUserError(f"{text.strip()[:80]!r} is not an email address")
    if len(email) > column_limit(AdminUser, "email"):
        raise AdminUserError("the email address is too long")
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminUserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AdminUserError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


def create_user(
    engine: Engine, *, email: str, password: str, store_ids: Sequence[int] | None = None
) -> UserSummary:
    """A new user: of every store when `store_ids` is None, else of those stores only."""
    address = normalize_email(email)
    check_password(password)
    with transaction(engine) as session:
        if _find(session, address) is not None:
            raise AdminUserError(f"{address} already has an account (use admin set-password)")
        _check_stores(session, store_ids or ())
        user = AdminUser(
            email=address,
            password_hash=generate_password_hash(password),
            all_stores=store_ids is None,
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        for store_id in sorted(set(store_ids or ())):
            session.add(AdminUserStore(user_id=user.id, store_id=store_id))
        return _summary(user, sorted(set(store_ids or ())))


def set_password(engine: Engine, *, email: str, password: str) -> None:
    """Replace the password; every session signed in with the old one ends."""
    address = normalize_email(email)
    check_password(password)
    with transaction(engine) as session:
        user = _find(session, address)
        if user is None:
            raise AdminUserError(f"no admin user {address} (create one with admin create-user)")
        user.password_hash = generate_password_hash(password)


def user_exists(engine: Engine, email: str) -> bool:
    with Session(engine) as session:
        return _find(session, normalize_email(email)) is not None


def list_users(engine: Engine) -> list[UserSummary]:
    with Session(engine) as session:
        users = session.exec(select(AdminUser).order_by(col(AdminUser.email))).all()
        links = session.exec(select(AdminUserStore)).all()
    stores: dict[int, list[int]] = {}
    for link in links:
        stores.setdefault(link.user_id, []).append(link.store_id)
    return [_summary(user, sorted(stores.get(user.id or 0, []))) for user in users]


def authenticate(engine: Engine, *, email: str, password: str) -> AdminIdentity | None:
    """The user with this email and password, or None (in the same time either way)."""
    try:
        address = normalize_email(email)
    except AdminUserError:
        address = ""
    with transaction(engine) as session:
        user = _find(session, address) if address else None
        # Always check a hash, and a long password costs no more than the cap's worth.
        matches = check_password_hash(
            user.password_hash if user else _DUMMY_HASH, password[:MAX_PASSWORD_LENGTH]
        )
        if user is None or not matches:
            return None
        user.last_login_at = utcnow()
        return _identity(session, user)


def load_identity(engine: Engine, session_id: str) -> AdminIdentity | None:
    """The user a session names, unless the password changed since it was signed in."""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit() or len(fingerprint) != FINGERPRINT_LENGTH:
        return None
    with Session(engine) as session:
        user = session.get(AdminUser, int(user_id))
        if user is None or not same_secret(_fingerprint(user), fingerprint):
            return None
        return _identity(session, user)


def _identity(session: Session, user: AdminUser) -> AdminIdentity:
    assert user.id is not None
    links = select(AdminUserStore.store_id).where(AdminUserStore.user_id == user.id)
    return AdminIdentity(
        id=user.id,
        email=user.email,
        all_stores=user.all_stores,
        store_ids=frozenset(session.exec(links)),
        session_id=f"{user.id}.{_fingerprint(user)}",
    )


def _fingerprint(user: AdminUser) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _find(session: Session, email: str) -> AdminUser | None:
    return session.exec(select(AdminUser).where(AdminUser.email == email)).first()


def _check_stores(session: Session, store_ids: Sequence[int]) -> None:
    if not store_ids:
        return
    found = set(session.exec(select(Store.id).where(col(Store.id).in_(list(store_ids)))))
    missing = sorted(set(store_ids) - found)
    if missing:
        raise AdminUserError(f"no store {', '.join(map(str, missing))}")


def _summary(user: AdminUser, store_ids: Sequence[int]) -> UserSummary:
    return UserSummary(
        email=user.email,
        all_stores=user.all_stores,
        store_ids=tuple(store_ids),
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def stores_for(engine: Engine, user: AdminIdentity) -> list[Store]:
    """The stores this user may see, by id."""
    statement = select(Store).order_by(col(Store.id))
    if not user.all_stores:
        statement = statement.where(col(Store.id).in_(sorted(user.store_ids)))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(statement))
