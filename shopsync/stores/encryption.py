"""Every value encrypted at rest with SECRET_KEY: re-encrypting them, checking they decrypt.

ENCRYPTED_COLUMNS names each column the vault writes; a new one (a provider API key,
say) is added here so rotation and the readiness probe cover it.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Table, select, update
from sqlmodel import SQLModel

from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import SecretsUnreadable
from shopsync.models import (
    MailchimpConnection,
    PlatformConnection,
    StripeConnection,
    WebhookEndpoint,
)

ENCRYPTED_COLUMNS: tuple[tuple[type[SQLModel], tuple[str, ...]], ...] = (
    (WebhookEndpoint, ("key_encrypted", "secrets_encrypted")),
    (StripeConnection, ("api_key_encrypted", "secrets_encrypted")),
    (PlatformConnection, ("credentials_encrypted",)),
    (MailchimpConnection, ("api_key_encrypted",)),
)
# Rows the readiness probe decrypts per table: the newest ones, enough to notice a
# changed key without reading the whole table.
PROBE_ROWS = 3


def rotate_stored_secrets(engine: Engine, vault: Vault) -> int:
    """Re-encrypt every value with the current key in one transaction; how many were.

    Raises SecretsUnreadable (changing nothing) if any value fits no key. A column may
    be empty (NULL) where nothing was encrypted yet.
    """
    count = 0
    with transaction(engine) as session:
        for model, names in ENCRYPTED_COLUMNS:
            table, columns = _table(model), [_column(model, n) for n in names]
            keys = _primary_key(model)
            rows = session.execute(select(*keys, *columns)).all()
            for row in rows:
                values = {
                    name: vault.rotate(value)
                    for name in names
                    if (value := getattr(row, name)) is not None
                }
                if values:
                    where = [key == getattr(row, key.name) for key in keys]
                    session.execute(update(table).where(*where).values(**values))
                    count += len(values)
    return count


def stored_secrets_decrypt(engine: Engine, vault: Vault) -> bool:
    """Whether the newest few encrypted values decrypt with SECRET_KEY or a fallback."""
    with engine.connect() as connection:
        for model, names in ENCRYPTED_COLUMNS:
            columns = [_column(model, n) for n in names]
            newest = select(*columns).order_by(_primary_key(model)[0].desc()).limit(PROBE_ROWS)
            for row in connection.execute(newest):
                try:
                    for value in row:
                        if value is not None:
                            vault.decrypt(value)
                except SecretsUnreadable:
                    return False
    return True


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _column(model: type[SQLModel], name: str) -> Column[str]:
    column: Column[str] = _table(model).c[name]
    return column


def _primary_key(model: type[SQLModel]) -> list[Column[object]]:
    """Every column of the table's primary key (some have two)."""
    return list(_table(model).primary_key.columns)
