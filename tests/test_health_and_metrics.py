"""Probes and metrics an operator points monitoring at."""

from __future__ import annotations

from flask.testing import FlaskClient

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.config import Settings
from tests.processes import free_port
from tests.support import StoreFixture, deliver


def test_healthz_and_readyz_answer_when_everything_is_up(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"database": "ok", "redis": "ok", "secrets": "ok"}


def test_readyz_reports_what_is_down(environ: dict[str, str]) -> None:
    broken = create_app(
        Settings.from_env(
            {
                **environ,
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/gone",
                "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            }
        )
    )
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "database": "unavailable",
        "redis": "unavailable",
        "secrets": "unknown",
    }
    assert broken.test_client().get("/healthz").status_code == 200
    broken.extensions["shopsync"].runtime.close()


def test_metrics_count_inbox_rows_by_status(client: FlaskClient, store: StoreFixture) -> None:
    event = samples.event("customer.created", {"id": "cus_1"}, livemode=True)
    deliver(client, store, "stripe", event)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'shopsync_inbox_events{status="received"} 1' in text
    assert "shopsync_inbox_waiting 1" in text


def test_the_home_page_says_what_this_is_and_where_to_look(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<title>shopsync</title>" in page
    for link in ('href="/healthz"', 'href="/readyz"', "http://shop.test/api/v1/orders/"):
        assert link in page
    assert "<code>stripe</code>" in page and "Admin area" in page
