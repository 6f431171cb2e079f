"""Settings are read from the environment and refuse what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsync.config import Settings
from shopsync.errors import ConfigError

STRONG_KEY = "k" * 40


def build(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_env({"SHOPSYNC_INSTANCE_PATH": str(tmp_path), **environ})


def test_defaults_need_no_configuration(tmp_path: Path) -> None:
    settings = build(tmp_path)
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'shopsync.sqlite3'}"
    assert settings.uses_embedded_redis
    assert settings.max_body_bytes == 1024 * 1024


def test_heroku_postgres_url_uses_psycopg(tmp_path: Path) -> None:
    settings = build(tmp_path, DATABASE_URL="postgres://u:p@db.example:5432/d1")
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/d1"


def test_tls_redis_url_wins_over_plain(tmp_path: Path) -> None:
    settings = build(tmp_path, REDIS_URL="redis://plain:6379", REDIS_TLS_URL="rediss://tls:6380")
    assert settings.redis_url == "rediss://tls:6380"


def test_tls_redis_client_verifies_certificates_unless_told_not_to() -> None:
    from shopsync.runtime import connect_redis

    verified = connect_redis("rediss://:pw@redis.example:6380/0")
    assert "ssl_cert_reqs" not in verified.connection_pool.connection_kwargs  # redis-py: required
    assert verified.connection_pool.connection_class.__name__ == "SSLConnection"
    unverified = connect_redis("rediss://:pw@redis.example:6380/0", verify_tls=False)
    assert unverified.connection_pool.connection_kwargs["ssl_cert_reqs"] == "none"


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        build(tmp_path, SHOPSYNC_ENV="production", DATABASE_URL="postgres://h/d")


def test_production_refuses_a_weak_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak"):
        build(tmp_path, SHOPSYNC_ENV="production", SECRET_KEY="changeme")


def test_production_refuses_to_start_without_redis(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"REDIS_URL .* is required"):
        build(tmp_path, SHOPSYNC_ENV="production", SECRET_KEY=STRONG_KEY)


def test_production_accepts_a_strong_secret_key(tmp_path: Path) -> None:
    settings = build(
        tmp_path, SHOPSYNC_ENV="production", SECRET_KEY=STRONG_KEY, REDIS_URL="redis://r:6379"
    )
    assert settings.is_production and settings.secret_key == STRONG_KEY


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = build(tmp_path).secret_key
    assert len(first) >= 48
    assert build(tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOPSYNC_ENV", "staging", "SHOPSYNC_ENV must be one of"),
        ("DATABASE_URL", "mysql://h/d", "DATABASE_URL scheme 'mysql'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL must be a URL"),
        ("REDIS_URL", "http://h", "REDIS_URL must start with"),
        ("PUBLIC_URL", "shop.example", "PUBLIC_URL must be an absolute"),
        ("SMTP_URL", "mail.example", "SMTP_URL must start with"),
        ("SHOPSYNC_MAX_BODY_BYTES", "lots", "SHOPSYNC_MAX_BODY_BYTES must be a whole number"),
        ("SHOPSYNC_MAX_BODY_BYTES", "0", "SHOPSYNC_MAX_BODY_BYTES must be at least 1"),
    ],
)
def test_bad_configuration_names_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, **{name: value})


def test_cli_reports_bad_configuration_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys
    from pathlib import Path as P

    shopsync = P(sys.executable).parent / "shopsync"
    result = subprocess.run(
        [str(shopsync), "db", "upgrade"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "SHOPSYNC_ENV": "production",
            "DATABASE_URL": "postgres://h/d",
            "SHOPSYNC_INSTANCE_PATH": str(tmp_path),
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: SECRET_KEY is required when SHOPSYNC_ENV=production"
    )
