"""Deleting a store with everything it owns, in one transaction.

Every table holding a store's data carries `store_id` (the models are written that
way), so deleting is: each such table, dependants first, then the store itself.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlmodel import SQLModel

from shopsync.db import transaction
from shopsync.models import Store
from shopsync.stores.provisioning import UnknownStore


def delete_store(engine: Engine, *, store_id: int) -> int:
    """Delete the store and its rows; the number of rows deleted, the store's included."""
    deleted = 0
    with transaction(engine) as session:
        if session.get(Store, store_id) is None:
            raise UnknownStore(f"no store {store_id}")
        for table in reversed(SQLModel.metadata.sorted_tables):
            if "store_id" in table.c:
                result = session.execute(delete(table).where(table.c.store_id == store_id))
                deleted += int(getattr(result, "rowcount", 0) or 0)
        session.execute(delete(Store.__table__).where(Store.__table__.c.id == store_id))  # type: ignore[attr-defined]
        deleted += 1
    return deleted
