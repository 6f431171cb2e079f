"""The store owner's admin: its users and the stores each may see."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class AdminUser(SQLModel, table=True):
    """Someone who signs in to /admin; the password is kept as a salted scrypt hash."""

    __tablename__ = "admin_user"

    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased, so sign-in ignores letter case.
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=255)
    # An owner sees every store of the installation; anyone else only the linked ones.
    all_stores: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class AdminUserStore(SQLModel, table=True):
    """A store a (non-owner) admin user may see and run."""

    __tablename__ = "admin_user_store"

    user_id: int = Field(foreign_key="admin_user.id", primary_key=True)
    store_id: int = Field(foreign_key="store.id", primary_key=True)
