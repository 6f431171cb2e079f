"""Outbox rows posted in a transaction are written together, and seen by it meanwhile."""

from __future__ import annotations

from sqlmodel import Session, col, select

from shopsync.models import OutboxKind, OutboxMessage
from shopsync.outbox.rows import post
from shopsync.runtime import Runtime
from shopsync.work import Cause, UnitOfWork, unit_of_work
from tests.support import StoreFixture


def _post(work_key: str, work: UnitOfWork) -> None:
    post(
        work,
        kind=OutboxKind.STORE_WEBHOOK,
        key=work_key,
        target="1",
        summary="test",
        payload={"n": work_key},
    )


def test_rows_are_written_once_when_the_work_finishes(
    runtime: Runtime, store: StoreFixture
) -> None:
    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as work:
        _post("k:1", work)
        _post("k:2", work)
        _post("k:1", work)  # the same key twice: written once
    assert len(work.posted) == 2
    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as again:
        _post("k:2", again)  # already in the table: nothing new
    assert again.posted == []
    with Session(runtime.engine) as session:
        keys = session.exec(select(OutboxMessage.idempotency_key)).all()
    assert sorted(keys) == ["k:1", "k:2"]


def test_a_deferred_row_is_seen_by_a_later_read_in_the_same_transaction(
    runtime: Runtime, store: StoreFixture
) -> None:
    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as work:
        work.defer_outbox = True  # as the worker's chunk does
        _post("k:seen", work)
        found = work.session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.idempotency_key) == "k:seen")
        ).first()
        assert found is not None
    with Session(runtime.engine) as session:
        assert session.exec(select(OutboxMessage.idempotency_key)).all() == ["k:seen"]
