"""Migrations build exactly the schema the models describe, on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect
from sqlmodel import Session, SQLModel, col, select

import shopsync.models  # noqa: F401 - the tables under test
from shopsync.clock import utcnow
from shopsync.db import create_engine_for
from shopsync.migrate import current_revision, downgrade, upgrade
from shopsync.models import Order, Refund, StripeConnection
from shopsync.orders.lifecycle import payment_stage
from shopsync.orders.refunds import refunded_by_source
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path, server_database_url: str | None
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        engine.dispose()
        return
    if server_database_url is None:
        pytest.skip("no Postgres server configured (TEST_DATABASE_URL); CI runs this")
    with fresh_postgres_database(server_database_url) as url:
        engine = create_engine_for(url)
        yield engine
        engine.dispose()


def test_upgrade_builds_the_models_schema(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert "webhook_event" in inspect(empty_engine).get_table_names()


def test_orders_keep_what_they_reached_across_the_move_to_recomputed_dimensions(
    empty_engine: Engine,
) -> None:
    """Rows written before 0010 keep their payment, refunds, fulfilment and cancel."""
    upgrade(empty_engine, "0008")
    now = utcnow()
    tables = MetaData()
    tables.reflect(empty_engine)
    with empty_engine.begin() as connection:
        inserted = connection.execute(
            tables.tables["store"]
            .insert()
            .values(name="Old shop", livemode=True, api_key_hash="h" * 64, created_at=now)
        ).inserted_primary_key
        assert inserted is not None
        store_id = inserted[0]
        order_row = {
            "store_id": store_id,
            "state": "canceled",
            "payment_status": "refunded",
            "fulfillment_status": "delivered",
            "paid_amount": 5000,
            "total_amount": 5000,
            "disputed": False,
            "created_at": now,
            "updated_at": now,
        }
        connection.execute(
            tables.tables["orders"].insert(),
            [
                # Refunded by a running total (charge.refunded) only: no refund rows.
                {
                    **order_row,
                    "external_id": "1",
                    "public_token": "t1",
                    "refunded_amount": 5000,
                    "canceled": True,
                },
                {
                    **order_row,
                    "external_id": "2",
                    "public_token": "t2",
                    "refunded_amount": 0,
                    "canceled": False,
                    "payment_status": "paid",
                    "fulfillment_status": "partially_shipped",
                },
            ],
        )
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        first, second = session.exec(select(Order).order_by(col(Order.external_id))).all()
        rows = session.exec(select(Refund).where(Refund.order_id == first.id)).all()
    assert refunded_by_source(rows) == 5000
    assert (first.payment_attempt, first.claimed_fulfillment) == ("paid", "shipped")
    assert first.canceled_changed_at is not None and second.canceled_changed_at is None
    assert payment_stage(first) == "refunded" and payment_stage(second) == "paid"
    assert second.claimed_fulfillment == "partially_shipped"


def test_a_stripe_connection_made_before_0013_keeps_its_secrets_and_mode(
    empty_engine: Engine,
) -> None:
    """The connection takes the secrets its store's Stripe endpoint holds (same ciphertext)."""
    upgrade(empty_engine, "0011")
    now = utcnow()
    tables = MetaData()
    tables.reflect(empty_engine)
    with empty_engine.begin() as connection:
        inserted = connection.execute(
            tables.tables["store"]
            .insert()
            .values(name="Old shop", livemode=True, api_key_hash="h" * 64, created_at=now)
        ).inserted_primary_key
        assert inserted is not None
        store_id = inserted[0]
        connection.execute(
            tables.tables["webhook_endpoint"].insert(),
            [
                {
                    "store_id": store_id,
                    "provider": provider,
                    "key_hash": provider * 4,
                    "key_encrypted": "k",
                    "secrets_encrypted": f"{provider}-ciphertext",
                    "created_at": now,
                }
                for provider in ("standard", "stripe")
            ],
        )
        connection.execute(
            tables.tables["stripe_connection"]
            .insert()
            .values(
                store_id=store_id,
                api_key_encrypted="key-ciphertext",
                livemode=True,
                endpoint_id="we_1",
                connected_at=now,
            )
        )
    upgrade(empty_engine)
    with Session(empty_engine) as session:
        connection_row = session.get(StripeConnection, (store_id, True))
    assert connection_row is not None
    assert connection_row.secrets_encrypted == "stripe-ciphertext"
    assert connection_row.api_key_encrypted == "key-ciphertext"
    downgrade(empty_engine, "0011")
    upgrade(empty_engine)
