"""(h) the access answer at page-view rates: `GET /api/v1/access` at a steady 200 requests/s.

A store of its own gets `customers` subscribed customers (a subscription and its paid
first invoice each, really signed, through the ingest path, worked by `shopsync worker
--burst`). Then a paced sender asks for a random customer's access (by email or Stripe
id, one TCP connection per request, as a store's backend behind gunicorn's sync workers
would) at 200 requests/s; a tenth of the customers cancel meanwhile (their cached
answers are invalidated) and a worker runs. Target (issue): p99 <= 10 ms at 200 req/s.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from typing import Any

from bench import loadgen, servers
from bench.events import signature_headers
from bench.options import HOST
from bench.stats import percentile
from handlers.stripe import samples

RATE = 200.0
TARGET_P99_MS = 10.0


def access_answers(b: Any, target: Any) -> dict[str, Any]:
    """Run (h) against the shopsync deployment `target` (bench.scenarios.Target)."""
    seconds = 5.0 if b.opts.quick else 20.0
    customers = 200 if b.opts.quick else 1000
    created = json.loads(
        servers.run_cli(["store", "create", "Access", "--json", "--test-mode"], target.env)
    )
    endpoint = next(e for e in created["endpoints"] if e["provider"] == "stripe")
    path = "/" + endpoint["url"].split("/", 3)[3]
    people = [
        (f"cus_bench{i:06d}", f"reader{i}@example.com", f"sub_bench{i:06d}")
        for i in range(customers)
    ]
    _deliver(target.port, path, endpoint["secret"], [_start(*p) for p in people])
    servers.run_cli(["worker", "--burst"], target.env, timeout=300)
    cancels = [_cancel(cus, sub) for cus, _, sub in people[: customers // 10]]
    sender = threading.Thread(
        target=_deliver_slowly, args=(target.port, path, endpoint["secret"], cancels, seconds)
    )
    worker = threading.Thread(target=servers.run_cli, args=(["worker", "--burst"], target.env, 300))
    sender.start()
    latencies, statuses = _ask(target.port, created["api_key"], people, seconds)
    sender.join()
    worker.start()
    worker.join()
    p99 = percentile(latencies, 99)
    return {
        "customers": customers,
        "rate": round(len(latencies) / seconds, 1),
        "latency_ms": loadgen.latency_summary(latencies),
        "statuses": statuses,
        "target_p99_ms": TARGET_P99_MS,
        "met": p99 is not None and p99 <= TARGET_P99_MS and set(statuses) == {"200"},
    }


def _start(customer: str, email: str, subscription: str) -> bytes:
    obj = samples.subscription(subscription_id=subscription, customer=customer)
    invoice = samples.invoice(
        amount=2000, subscription_id=subscription, customer=customer, email=email
    )
    return b"\n".join(
        json.dumps(samples.event(kind, body)).encode()
        for kind, body in (("invoice.paid", invoice), ("customer.subscription.created", obj))
    )


def _cancel(customer: str, subscription: str) -> bytes:
    obj = samples.subscription(status="canceled", subscription_id=subscription, customer=customer)
    return json.dumps(
        samples.event("customer.subscription.deleted", obj, created=int(time.time()) + 5)
    ).encode()


def _deliver(port: int, path: str, secret: str, bodies: list[bytes]) -> None:
    for joined in bodies:
        for body in joined.split(b"\n"):
            _post(port, path, body, secret)


def _deliver_slowly(port: int, path: str, secret: str, bodies: list[bytes], seconds: float) -> None:
    for body in bodies:
        _post(port, path, body, secret)
        time.sleep(seconds / max(1, len(bodies)))


def _post(port: int, path: str, body: bytes, secret: str) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=signature_headers(body, secret))
        connection.getresponse().read()
    finally:
        connection.close()


def _ask(
    port: int, api_key: str, people: list[tuple[str, str, str]], seconds: float
) -> tuple[list[float], dict[str, int]]:
    total = int(RATE * seconds)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    start = time.monotonic()
    cursor = iter(range(total))

    def worker() -> None:
        rng = random.Random()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            delay = start + index / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            customer, email, _ = rng.choice(people)
            query = f"customer={customer}" if index % 2 else f"email={email}"
            status, elapsed = _get(port, f"/api/v1/access?{query}", api_key)
            with lock:
                latencies.append(elapsed)
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return latencies, statuses


def _get(port: int, path: str, api_key: str) -> tuple[int | str, float]:
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {api_key}"})
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - began) * 1000
    except OSError as error:
        return type(error).__name__, (time.perf_counter() - began) * 1000
    finally:
        connection.close()
