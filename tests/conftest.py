"""Fixtures: a fresh app, database and Redis for every test.

The database is Postgres when TEST_DATABASE_URL is set (CI) and a SQLite file
otherwise; Redis is REDIS_URL when set and an embedded redis-server otherwise. The
queue and the database are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, create_engine, text

from shopsync.app import create_app
from shopsync.config import Settings, normalize_database_url
from shopsync.db import create_engine_for
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.migrate import upgrade
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.mailchimp_standin import MailchimpStandIn, running_mailchimp
from tests.platform_standins import (
    ShopifyAdmin,
    WooCommerceSite,
    running_shopify,
    running_woocommerce,
)
from tests.processes import Starting
from tests.stripe_standin import StripeStandIn, running_stripe
from tests.support import StoreFixture, make_store

TEST_SECRET_KEY = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session")
def server_database_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(
    server_database_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if server_database_url is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'shopsync.sqlite3'}"
        return
    with fresh_postgres_database(server_database_url) as url:
        yield url


class fresh_postgres_database:
    """A throwaway database on the server, so parallel test runs never collide."""

    def __init__(self, server_url: str) -> None:
        self.server_url = normalize_database_url(server_url)
        self.name = f"shopsync_test_{secrets.token_hex(4)}"

    def __enter__(self) -> str:
        self._admin().execute_ddl(f'CREATE DATABASE "{self.name}"')
        return self.server_url.rsplit("/", 1)[0] + "/" + self.name

    def __exit__(self, *_exc: object) -> None:
        self._admin().execute_ddl(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self) -> _Admin:
        return _Admin(self.server_url)


class _Admin:
    def __init__(self, url: str) -> None:
        self.url = url

    def execute_ddl(self, statement: str) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield embedded.url
    embedded.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server this test may stop and start; always stopped at the end."""
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _processes_only_when_slow(request: pytest.FixtureRequest) -> Iterator[None]:
    Starting.allowed = request.node.get_closest_marker("slow") is not None
    yield
    Starting.allowed = True


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> None:
    """Empty every table and the Redis database before each test that uses them."""
    if "migrated_engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("migrated_engine")
    truncate_all(engine)
    with Redis.from_url(request.getfixturevalue("redis_url")) as client:
        client.flushdb()


def truncate_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


def settings_environ(tmp_path: Path, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "SHOPSYNC_ENV": "test",
        "SHOPSYNC_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "PUBLIC_URL": "http://shop.test",
        "SHOPSYNC_RETRY_BASE_SECONDS": "1",
        "SHOPSYNC_MAX_ATTEMPTS": "3",
        "SHOPSYNC_DRAIN_LINGER_SECONDS": "0",
        # Crash tests wait for the relay: keep its grace short for every app under test.
        "SHOPSYNC_RELAY_GRACE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def extra_environ() -> dict[str, str]:
    """Settings a test module adds (a stand-in's API base, say): override it there."""
    return {}


@pytest.fixture
def environ(
    tmp_path: Path,
    migrated_engine: Engine,
    database_url: str,
    redis_url: str,
    extra_environ: dict[str, str],
) -> dict[str, str]:
    return {**settings_environ(tmp_path, database_url, redis_url), **extra_environ}


@pytest.fixture
def settings(environ: dict[str, str]) -> Settings:
    return Settings.from_env(environ)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    yield application
    with application.app_context():
        app_state().runtime.close()


@pytest.fixture
def runtime(app: Flask) -> Runtime:
    with app.app_context():
        return app_state().runtime


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def store(runtime: Runtime) -> StoreFixture:
    return make_store(runtime, name="Test shop")


@pytest.fixture
def test_mode_store(runtime: Runtime) -> StoreFixture:
    return make_store(runtime, name="Test-mode shop", livemode=False)


# Local stand-ins for the provider APIs on the internet (a module points the app at one
# by overriding `extra_environ`).
@pytest.fixture
def stripe_api() -> Iterator[StripeStandIn]:
    with running_stripe() as standin:
        yield standin


@pytest.fixture
def woo_site() -> Iterator[WooCommerceSite]:
    with running_woocommerce() as standin:
        yield standin


@pytest.fixture
def shop_api() -> Iterator[ShopifyAdmin]:
    with running_shopify() as standin:
        yield standin


@pytest.fixture
def mailchimp_api() -> Iterator[MailchimpStandIn]:
    with running_mailchimp() as standin:
        yield standin
