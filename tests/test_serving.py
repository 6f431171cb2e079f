"""gunicorn as deployed: the Procfile's settings, no control socket, keys out of the logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsync.dev.server import GUNICORN_CONFIG
from shopsync.web.serving import mask_endpoint_keys
from tests.processes import PROJECT_ROOT, gunicorn


def test_procfile_and_dev_server_serve_with_the_project_settings() -> None:
    procfile = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    [web] = [line for line in procfile if line.startswith("web:")]
    assert web == "web: gunicorn --config gunicorn.conf.py wsgi:app"
    assert GUNICORN_CONFIG == PROJECT_ROOT / "gunicorn.conf.py"


@pytest.mark.slow
def test_gunicorn_opens_no_control_socket(environ: dict[str, str], tmp_path: Path) -> None:
    runtime_dir, home = tmp_path / "run", tmp_path / "home"
    runtime_dir.mkdir()
    home.mkdir()
    env = {**environ, "XDG_RUNTIME_DIR": str(runtime_dir), "HOME": str(home)}
    process, _ = gunicorn(env, workers=1, log=tmp_path / "gunicorn.log")
    try:
        assert list(runtime_dir.iterdir()) == []
        assert list(home.iterdir()) == []
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("POST /webhooks/stripe/AbC-12_x HTTP/1.1", "POST /webhooks/stripe/*** HTTP/1.1"),
        ("/webhooks/shopify/k3y?x=1", "/webhooks/shopify/***?x=1"),
        ("GET /healthz HTTP/1.1", "GET /healthz HTTP/1.1"),
        ("GET /webhooks/stripe HTTP/1.1", "GET /webhooks/stripe HTTP/1.1"),
    ],
)
def test_access_lines_mask_endpoint_keys(line: str, masked: str) -> None:
    assert mask_endpoint_keys(line) == masked
