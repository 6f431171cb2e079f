"""A store's Mailchimp account as the code uses it: the key decrypted, the rest as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from shopsync.clock import aware, utcnow
from shopsync.crypto import Vault
from shopsync.models import MailchimpConnection


@dataclass(frozen=True)
class MailchimpAccount:
    store_id: int
    api_key: str
    # The data centre (`us21`), from the key.
    server: str
    audience_id: str
    audience_name: str | None = None
    webhook_id: str | None = None
    double_opt_in: bool = False
    ecommerce_store_id: str | None = None
    connected_at: datetime | None = None


def load(session: Session, vault: Vault, store_id: int) -> MailchimpAccount | None:
    row = session.get(MailchimpConnection, store_id)
    if row is None:
        return None
    return MailchimpAccount(
        store_id=row.store_id,
        api_key=vault.decrypt(row.api_key_encrypted),
        server=row.server,
        audience_id=row.audience_id,
        audience_name=row.audience_name,
        webhook_id=row.webhook_id,
        double_opt_in=row.double_opt_in,
        ecommerce_store_id=row.ecommerce_store_id,
        connected_at=aware(row.connected_at),
    )


def save(session: Session, vault: Vault, account: MailchimpAccount) -> None:
    """Write the account (created or replaced), the key encrypted."""
    row = session.get(MailchimpConnection, account.store_id) or MailchimpConnection(
        store_id=account.store_id, api_key_encrypted="", server="", audience_id=""
    )
    row.api_key_encrypted = vault.encrypt(account.api_key)
    row.server = account.server
    row.audience_id = account.audience_id
    row.audience_name = account.audience_name
    row.webhook_id = account.webhook_id
    row.double_opt_in = account.double_opt_in
    row.ecommerce_store_id = account.ecommerce_store_id
    row.connected_at = account.connected_at or utcnow()
    session.add(row)


def remove(session: Session, store_id: int) -> bool:
    """Forget the account; whether there was one."""
    row = session.get(MailchimpConnection, store_id)
    if row is None:
        return False
    session.delete(row)
    return True
