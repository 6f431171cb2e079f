"""Signed Stripe deliveries: realistic bodies (handlers/stripe/samples.py), fresh signatures.

A pool is written as one file per wrk thread, each record "<length>\\n<raw HTTP request>",
for bench/pool.lua. Thread N gets a contiguous slice, so an order's checkout event is
always issued before its payment_intent event by the same thread.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import stripe

from handlers.stripe import samples

CHECKOUT = "checkout.session.completed"
INTENT = "payment_intent.succeeded"


@dataclass(frozen=True)
class Event:
    """One Stripe event the bench may deliver, and what it should do to its order."""

    event_id: str
    event_type: str
    order_id: str
    amount: int
    body: bytes
    phase: str


def amount_for(index: int) -> int:
    return 1000 + (index * 37) % 9000


def email_for(order_id: str) -> str:
    """The customer's address of an order: the mail sink tells orders apart by it."""
    return f"{order_id}@bench.example".lower()


def checkout_event(order_id: str, amount: int, phase: str) -> Event:
    intent_id = f"pi_{order_id}"
    session = samples.checkout_session(
        order_id, amount=amount, intent_id=intent_id, email=email_for(order_id)
    )
    payload = samples.event(CHECKOUT, session, livemode=True)
    return Event(payload["id"], CHECKOUT, order_id, amount, json.dumps(payload).encode(), phase)


def intent_event(order_id: str, amount: int, phase: str) -> Event:
    intent = samples.payment_intent(order_id, amount=amount, intent_id=f"pi_{order_id}")
    payload = samples.event(INTENT, intent, livemode=True)
    return Event(payload["id"], INTENT, order_id, amount, json.dumps(payload).encode(), phase)


def checkout_events(count: int, *, run: str, phase: str) -> list[Event]:
    """`count` checkout sessions, each creating and paying its own order."""
    return [checkout_event(f"{run}-{phase}-{i}", amount_for(i), phase) for i in range(count)]


def paired_events(count: int, *, run: str, phase: str) -> list[Event]:
    """Checkout then payment_intent.succeeded for the same order: the order is paid twice
    over by Stripe's account, and must end with the amount counted once."""
    result: list[Event] = []
    for i in range((count + 1) // 2):
        order_id = f"{run}-{phase}-{i}"
        amount = amount_for(i)
        result.append(checkout_event(order_id, amount, phase))
        result.append(intent_event(order_id, amount, phase))
    return result[:count]


def signature_headers(body: bytes, secret: str, timestamp: float | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(time.time() if timestamp is None else timestamp)
    )
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def raw_request(host: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_pool(
    prefix: Path, events: Sequence[Event], *, host: str, path: str, secret: str, threads: int
) -> list[list[Event]]:
    """Sign every event now and write one file per wrk thread; returns each thread's slice."""
    now = time.time()
    slices = split(events, threads)
    for index, chunk in enumerate(slices):
        with Path(f"{prefix}.{index}").open("wb") as out:
            for event in chunk:
                request = raw_request(
                    host, path, event.body, signature_headers(event.body, secret, now)
                )
                out.write(f"{len(request)}\n".encode())
                out.write(request)
    return slices


def split(events: Sequence[Event], parts: int) -> list[list[Event]]:
    size = -(-len(events) // parts)
    return [list(events[i * size : (i + 1) * size]) for i in range(parts)]
