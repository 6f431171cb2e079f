"""Settings are read from the environment and refuse what cannot work."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from shopsync.config import Settings
from shopsync.errors import ConfigError
from tests.processes import PROJECT_ROOT, free_port

STRONG_KEY = "9fQ2mZ7xLr4TbW1kVn8cHs3YpE6uJd0aGq5NeXoR"
PRODUCTION = {
    "SHOPSYNC_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://u:p@db.example:5432/d1",
    "REDIS_URL": "rediss://r.example:6380",
    "PUBLIC_URL": "https://shop.example",
}
SHOPSYNC = Path(sys.executable).parent / "shopsync"


def build(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_env({"SHOPSYNC_INSTANCE_PATH": str(tmp_path), **environ}, initialize=True)


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
        build(tmp_path, **{**PRODUCTION, "SECRET_KEY": ""})


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("changeme", "shorter than 32 characters"),
        (STRONG_KEY[:31], "shorter than 32 characters"),
        ("k" * 40, "fewer than 10 different characters"),
        ("abcdefghij1234" * 3, "repeats a short pattern"),
        ("Qz8-abcdefghijklmnop-Xw2-Lk9-Pm4-Rt7", "run of consecutive"),
        ("Qz8-0123456789-Xw2-Lk9-Pm4-Rt7-Hb3-Nc6", "run of consecutive"),
        ("my-super-secret-production-key-2024!!", "contains the word 'secret'"),
        ("Tr0ub4dor&3-Passw0rd-for-the-shop-in-Lyon", "contains the word 'passw0rd'"),
    ],
)
def test_production_refuses_an_obviously_weak_secret_key(
    tmp_path: Path, key: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=f"SECRET_KEY is too weak for production: it .*{why}"):
        build(tmp_path, **{**PRODUCTION, "SECRET_KEY": key})


@pytest.mark.parametrize(
    "key",
    [secrets.token_hex(32), secrets.token_urlsafe(48), secrets.token_urlsafe(32), STRONG_KEY],
)
def test_production_accepts_generated_keys(tmp_path: Path, key: str) -> None:
    settings = build(tmp_path, **{**PRODUCTION, "SECRET_KEY": key})
    assert settings.is_production and settings.secret_key == key


def test_production_refuses_to_start_without_redis(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"REDIS_URL .* is required"):
        build(tmp_path, **{**PRODUCTION, "REDIS_URL": ""})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "", "DATABASE_URL is required when SHOPSYNC_ENV=production"),
        ("DATABASE_URL", "sqlite:////tmp/x.db", "DATABASE_URL must be a Postgres URL"),
        ("PUBLIC_URL", "", "PUBLIC_URL is required when SHOPSYNC_ENV=production"),
        ("PUBLIC_URL", "http://shop.example", "PUBLIC_URL must start with https://"),
    ],
)
def test_production_refuses_sqlite_and_plain_http(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, **{**PRODUCTION, name: value})


def test_production_accepts_postgres_and_https(tmp_path: Path) -> None:
    settings = build(tmp_path, **PRODUCTION)
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/d1"
    assert settings.public_url == "https://shop.example"


def test_secret_key_fallbacks_are_read_newest_first(tmp_path: Path) -> None:
    settings = build(tmp_path, SECRET_KEY_FALLBACKS=" old-key-2 , old-key-1,, ")
    assert settings.secret_key_fallbacks == ("old-key-2", "old-key-1")
    assert build(tmp_path).secret_key_fallbacks == ()


def test_log_level_is_checked_and_case_insensitive(tmp_path: Path) -> None:
    assert build(tmp_path, LOG_LEVEL="debug").log_level == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING"):
        build(tmp_path, LOG_LEVEL="loud")


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = build(tmp_path).secret_key
    assert len(first) >= 48
    again = Settings.from_env({"SHOPSYNC_INSTANCE_PATH": str(tmp_path)}, initialize=False)
    assert again.secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def make_project(root: Path, *, with_instance: bool) -> Path:
    (root / "sub" / "dir").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'a-shop'\n")
    if with_instance:
        (root / "instance").mkdir()
        (root / "instance" / "secret_key").write_text(STRONG_KEY)
    return root / "instance"


def test_commands_find_the_project_instance_from_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = make_project(tmp_path, with_instance=True)
    monkeypatch.chdir(tmp_path / "sub" / "dir")
    settings = Settings.from_env({})
    assert settings.instance_path == instance
    assert settings.secret_key == STRONG_KEY
    assert settings.database_url == f"sqlite:///{instance / 'shopsync.sqlite3'}"


def test_outside_a_project_a_command_says_how_instead_of_creating_an_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"no shopsync instance at .*SHOPSYNC_INSTANCE_PATH"):
        Settings.from_env({})
    assert list(tmp_path.iterdir()) == []
    # `shopsync dev` and `shopsync db upgrade` may start one: next to the project file.
    make_project(tmp_path / "shop", with_instance=False)
    monkeypatch.chdir(tmp_path / "shop" / "sub")
    assert Settings.from_env({}, initialize=True).instance_path == tmp_path / "shop" / "instance"
    assert (tmp_path / "shop" / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_a_running_dev_server_tells_commands_where_its_services_are(tmp_path: Path) -> None:
    recorded = {
        "pid": os.getpid(),
        "public_url": "http://127.0.0.1:5310",
        "database_url": "sqlite:////tmp/dev.sqlite3",
        "redis_url": "unix:///tmp/dev-redis.sock",
    }
    (tmp_path / "dev_server.json").write_text(json.dumps(recorded))
    settings = build(tmp_path)
    assert settings.public_url == "http://127.0.0.1:5310"
    assert settings.redis_url == "unix:///tmp/dev-redis.sock"
    assert settings.database_url == "sqlite:////tmp/dev.sqlite3"
    # The environment still wins, and a dev server that is gone is not believed.
    assert build(tmp_path, PUBLIC_URL="http://shop.test").public_url == "http://shop.test"
    (tmp_path / "dev_server.json").write_text(json.dumps({**recorded, "pid": _dead_pid()}))
    assert build(tmp_path).redis_url is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOPSYNC_ENV", "staging", "SHOPSYNC_ENV must be one of"),
        ("DATABASE_URL", "mysql://h/d", "DATABASE_URL scheme 'mysql'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL must be a URL"),
        ("REDIS_URL", "http://h", "REDIS_URL must start with"),
        ("PUBLIC_URL", "shop.example", "PUBLIC_URL must be an absolute"),
        ("SMTP_URL", "mail.example", "SMTP_URL must start with"),
        ("SMTP_URL", "smtp://", "SMTP_URL has no host"),
        ("SMTP_URL", "smtp://mail.example:smtp", "SMTP_URL has an invalid port"),
        ("SMTP_URL", "smtp://mail.example?timeout=soon", "SMTP_URL timeout must be a number"),
        ("SMTP_URL", "smtp://mail.example?tls=off", "SMTP_URL option 'tls' is unknown"),
        ("SHOPSYNC_EMAIL_FROM", "orders at shop", "SHOPSYNC_EMAIL_FROM must be an email"),
        ("SHOPSYNC_MAX_BODY_BYTES", "lots", "SHOPSYNC_MAX_BODY_BYTES must be a whole number"),
        ("SHOPSYNC_MAX_BODY_BYTES", "0", "SHOPSYNC_MAX_BODY_BYTES must be at least 1"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL must be one of"),
    ],
)
def test_bad_configuration_names_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build(tmp_path, **{name: value})


@pytest.mark.slow
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


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["store", "list"],
        ["events", "list"],
        ["events", "replay", "1"],
        ["simulate", "stripe", "payment_intent.succeeded"],
        ["secrets", "rotate"],
        ["worker", "--burst"],
        ["relay"],
    ],
)
def test_a_bad_log_level_is_one_line_for_every_command(tmp_path: Path, command: list[str]) -> None:
    result = subprocess.run(
        [str(SHOPSYNC), *command],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "loud", "SHOPSYNC_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
        "got 'loud'"
    )


@pytest.mark.slow
def test_a_bad_log_level_stops_gunicorn_with_one_line_and_no_restarts(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SHOPSYNC.parent / "gunicorn"), "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "loud", "SHOPSYNC_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("configuration error: LOG_LEVEL must be one of") == 1
    assert "Booting worker" not in result.stderr  # the master stopped before any worker


def test_smtp_url_gives_host_port_credentials_and_timeout(tmp_path: Path) -> None:
    settings = build(tmp_path, SMTP_URL="smtp://apikey:p%40ss%2Fword@smtp.example.net?timeout=5")
    assert settings.smtp is not None
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.implicit_tls) == (
        "smtp.example.net",
        587,
        False,
    )
    assert (settings.smtp.username, settings.smtp.password) == ("apikey", "p@ss/word")
    assert settings.smtp.timeout == 5.0
    assert "p@ss" not in repr(settings.smtp)
    smtps = build(tmp_path, SMTP_URL="smtps://relay.example").smtp
    assert smtps is not None and (smtps.port, smtps.implicit_tls) == (465, True)
