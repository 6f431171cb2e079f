"""What every HTTP answer looks like: headers, JSON errors, methods, the metrics token."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.pipeline.registry import Delivery, IncomingRequest, Provider, registry
from shopsync.runtime import Runtime
from tests.support import StoreFixture, make_store

METRICS_TOKEN = "metrics-" + "m" * 32


def every_kind_of_answer(client: FlaskClient, store: StoreFixture) -> list[tuple[str, int]]:
    answers = [
        client.get("/healthz"),
        client.get("/metrics"),
        client.post(store.path("stripe"), data=b"{}"),  # unsigned: 400
        client.post("/webhooks/stripe/unknown-key", data=b"{}"),
        client.get("/api/v1/orders/1"),  # no API key: 401
        client.get("/nowhere"),
    ]
    for response in answers:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    return [(r.headers.get("Strict-Transport-Security", ""), r.status_code) for r in answers]


def test_every_response_carries_the_security_headers(
    client: FlaskClient, store: StoreFixture
) -> None:
    answers = every_kind_of_answer(client, store)
    assert answers == [("", 200), ("", 200), ("", 400), ("", 404), ("", 401), ("", 404)]


def test_production_responses_also_ask_for_https_only(
    settings: Settings, store: StoreFixture
) -> None:
    app = create_app(settings.with_overrides(env="production"))
    answers = every_kind_of_answer(app.test_client(), store)
    assert {hsts for hsts, _ in answers} == {"max-age=31536000"}
    app.extensions["shopsync"].runtime.close()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_providers_that_never_check_urls_answer_405_to_get_and_head(
    client: FlaskClient, store: StoreFixture, method: str
) -> None:
    for path in (store.path("stripe"), "/webhooks/shopify/not-a-key"):
        response = client.open(path, method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"
        if method == "GET":
            assert response.json == {"error": "method not allowed"}


@pytest.fixture
def url_checking_provider() -> Iterator[Provider]:
    """A provider that validates its URL with a GET, as Mailchimp does."""

    def verify(incoming: IncomingRequest, _secrets: object, _now: float) -> Delivery | None:
        assert incoming.method in ("GET", "HEAD")
        return None

    provider = dataclasses.replace(
        registry.providers["stripe"], name="urlcheck", verify=verify, answers_get=True
    )
    registry.add_provider(provider)
    yield provider
    del registry.providers["urlcheck"]


def test_a_provider_that_checks_urls_with_get_is_answered(
    client: FlaskClient, runtime: Runtime, url_checking_provider: Provider
) -> None:
    store = make_store(runtime, name="URL-checked shop")
    assert client.get(store.path("urlcheck")).json == {"status": "ping"}
    assert client.head(store.path("urlcheck")).status_code == 200
    assert client.get("/webhooks/urlcheck/not-a-key").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/api/v1/nothing-here", 404, "not found"),
        ("POST", "/api/v1/orders/1001", 405, "method not allowed"),
        ("GET", "/webhooks/stripe", 404, "not found"),
        ("PUT", "/webhooks/stripe/some-key", 405, "method not allowed"),
    ],
)
def test_api_and_webhook_paths_answer_errors_in_json(
    client: FlaskClient, method: str, path: str, status: int, error: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.json == {"error": error}
    if status == 405:
        assert "Allow" in response.headers


def test_other_paths_keep_html_errors(client: FlaskClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_metrics_need_the_token_when_one_is_configured(environ: dict[str, str]) -> None:
    app = create_app(Settings.from_env({**environ, "SHOPSYNC_METRICS_TOKEN": METRICS_TOKEN}))
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "shopsync_inbox" not in response.get_data(as_text=True)
    allowed = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert allowed.status_code == 200 and "shopsync_inbox_waiting" in allowed.get_data(True)
    app.extensions["shopsync"].runtime.close()
