"""Reading outcomes back from the bench database (psycopg, autocommit, read-only queries)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.events import Event

FINAL = ("processed", "ignored", "unprocessable", "dead")
Conn = psycopg.Connection[tuple[Any, ...]]


def max_event_row_id(conn: Conn) -> int:
    row = conn.execute("SELECT coalesce(max(id), 0) FROM webhook_event").fetchone()
    return int(row[0]) if row else 0


def status_counts(conn: Conn, *, after_id: int = 0) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, count(*) FROM webhook_event WHERE id > %s GROUP BY status", (after_id,)
    ).fetchall()
    return {str(status): int(count) for status, count in rows}


def rows_per_event(conn: Conn, event_ids: Sequence[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT event_id, count(*) FROM webhook_event WHERE event_id = ANY(%s) GROUP BY event_id",
        (list(event_ids),),
    ).fetchall()
    return {str(event_id): int(count) for event_id, count in rows}


@dataclass(frozen=True)
class Settled:
    done: bool
    seconds: float
    counts: dict[str, int]


def wait_until_final(
    conn: Conn, *, after_id: int, expected: int, timeout: float, poll: float = 0.1
) -> Settled:
    """Poll until `expected` rows past `after_id` are in a final status (or time runs out)."""
    start = time.monotonic()
    counts: dict[str, int] = {}
    while time.monotonic() - start < timeout:
        counts = status_counts(conn, after_id=after_id)
        if sum(counts.get(status, 0) for status in FINAL) >= expected:
            return Settled(True, time.monotonic() - start, counts)
        time.sleep(poll)
    return Settled(False, time.monotonic() - start, counts)


def processed_span(conn: Conn, *, after_id: int) -> tuple[float, float, float] | None:
    """Seconds from the first to the last processed_at past `after_id`, and both as epochs."""
    row = conn.execute(
        "SELECT extract(epoch FROM min(processed_at)), extract(epoch FROM max(processed_at))"
        " FROM webhook_event WHERE id > %s AND processed_at IS NOT NULL",
        (after_id,),
    ).fetchone()
    if not row or row[0] is None:
        return None
    first, last = float(row[0]), float(row[1])
    return last - first, first, last


def processed_per_second(conn: Conn, *, after_id: int) -> list[int]:
    """How many rows past `after_id` were finished in each second, from the first one on."""
    rows = conn.execute(
        "SELECT floor(extract(epoch FROM processed_at)) AS s, count(*) FROM webhook_event"
        " WHERE id > %s AND processed_at IS NOT NULL GROUP BY s ORDER BY s",
        (after_id,),
    ).fetchall()
    if not rows:
        return []
    first = int(rows[0][0])
    counts = [0] * (int(rows[-1][0]) - first + 1)
    for second, count in rows:
        counts[int(second) - first] = int(count)
    return counts


def attempt_stats(conn: Conn) -> dict[str, int]:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE attempts > 1), count(*) FILTER (WHERE last_error IS NOT"
        " NULL), coalesce(max(attempts), 0) FROM webhook_event"
    ).fetchone()
    if not row:
        return {}
    return {
        "rows_claimed_more_than_once": int(row[0]),
        "rows_with_error": int(row[1]),
        "max_attempts": int(row[2]),
    }


def end_to_end_ms(conn: Conn, event_ids: Sequence[str]) -> list[float]:
    """processed_at - received_at, per processed event."""
    rows = conn.execute(
        "SELECT extract(epoch FROM processed_at - received_at) * 1000 FROM webhook_event"
        " WHERE event_id = ANY(%s) AND processed_at IS NOT NULL",
        (list(event_ids),),
    ).fetchall()
    return [float(row[0]) for row in rows]


def exactly_once(conn: Conn, sent: Iterable[Event], acked_lost: int) -> dict[str, Any]:
    """Every sent event has one processed row; every order is paid exactly its amount once."""
    events = list(sent)
    expected_orders = {event.order_id: event.amount for event in events}
    rows = conn.execute(
        "SELECT event_id, count(*), min(status), max(status) FROM webhook_event GROUP BY event_id"
    ).fetchall()
    seen = {str(r[0]): (int(r[1]), str(r[2]), str(r[3])) for r in rows}
    sent_ids = {event.event_id for event in events}
    missing = [event_id for event_id in sent_ids if event_id not in seen]
    doubled = [event_id for event_id, (count, _, _) in seen.items() if count > 1]
    unexpected = [event_id for event_id in seen if event_id not in sent_ids]
    not_processed: dict[str, int] = {}
    for event_id in sent_ids & seen.keys():
        _, low, high = seen[event_id]
        for status in {low, high} - {"processed"}:
            not_processed[status] = not_processed.get(status, 0) + 1

    orders = conn.execute(
        """
        SELECT o.external_id, o.paid_amount, o.total_amount, o.payment_status,
               o.needs_attention IS NOT NULL,
               count(t.id) FILTER (WHERE t.milestone = 'paid'),
               count(t.id) FILTER (WHERE t.milestone = 'created'),
               count(t.id)
        FROM orders o LEFT JOIN timeline_entry t ON t.order_id = o.id
        GROUP BY o.id
        """
    ).fetchall()
    order_rows: dict[str, int] = {}
    wrong_amount, not_paid, flagged, bad_timeline = [], [], [], []
    for external_id, paid, total, payment_status, attention, paid_n, created_n, all_n in orders:
        order_rows[external_id] = order_rows.get(external_id, 0) + 1
        amount = expected_orders.get(external_id)
        if amount is None:
            continue
        if paid != amount or total != amount:
            wrong_amount.append(external_id)
        if payment_status != "paid":
            not_paid.append(external_id)
        if attention:
            flagged.append(external_id)
        if paid_n != 1 or created_n != 1 or all_n != 2:
            bad_timeline.append(external_id)
    duplicate_milestones = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM timeline_entry GROUP BY order_id, milestone"
        " HAVING count(*) > 1) AS d"
    ).fetchone()
    missing_orders = [order for order in expected_orders if order not in order_rows]
    doubled_orders = [order for order, count in order_rows.items() if count > 1]
    problems = {
        "acked_but_lost": acked_lost,
        "events_without_row": len(missing),
        "events_with_several_rows": len(doubled),
        "rows_not_sent_by_bench": len(unexpected),
        "rows_not_processed": sum(not_processed.values()),
        "orders_missing": len(missing_orders),
        "orders_doubled": len(doubled_orders),
        "orders_wrong_amount": len(wrong_amount),
        "orders_not_paid": len(not_paid),
        "orders_flagged_attention": len(flagged),
        "orders_bad_timeline": len(bad_timeline),
        "duplicate_milestones": int(duplicate_milestones[0]) if duplicate_milestones else 0,
    }
    return {
        "verdict": "PASS" if not any(problems.values()) else "FAIL",
        "events_sent": len(sent_ids),
        "orders_expected": len(expected_orders),
        "problems": problems,
        "not_processed_by_status": not_processed,
        "attempts": attempt_stats(conn),
        "examples": {
            "missing": missing[:5],
            "wrong_amount": wrong_amount[:5],
            "bad_timeline": bad_timeline[:5],
            "not_paid": not_paid[:5],
        },
    }


OUTBOX_OPEN = ("pending", "sending", "retry")


def outbox_counts(conn: Conn) -> dict[str, dict[str, int]]:
    """Outbox rows by kind, then status."""
    rows = conn.execute(
        "SELECT kind, status, count(*) FROM outbox_message GROUP BY kind, status"
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        counts.setdefault(str(kind), {})[str(status)] = int(count)
    return counts


def outbox_open(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM outbox_message WHERE status = ANY(%s)", (list(OUTBOX_OPEN),)
    ).fetchone()
    return int(row[0]) if row else 0


def wait_outbox_settled(conn: Conn, *, timeout: float, poll: float = 0.1) -> Settled:
    """Poll until no outbox row is waiting to be sent (or time runs out)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if outbox_open(conn) == 0:
            return Settled(True, time.monotonic() - start, {})
        time.sleep(poll)
    return Settled(False, time.monotonic() - start, {"open": outbox_open(conn)})


def paid_messages(conn: Conn) -> dict[str, dict[str, list[str]]]:
    """Per order (external id): the statuses of its `paid` outbox rows, by kind."""
    rows = conn.execute(
        "SELECT o.external_id, m.kind, m.status FROM outbox_message m"
        " JOIN orders o ON o.id = m.order_id WHERE m.idempotency_key LIKE '%%:paid'"
    ).fetchall()
    found: dict[str, dict[str, list[str]]] = {}
    for external_id, kind, status in rows:
        found.setdefault(str(external_id), {}).setdefault(str(kind), []).append(str(status))
    return found


def outbox_kinds(*, smtp: bool) -> tuple[str, ...]:
    """The outbox rows each paid order writes: its order.paid webhook, and an email with SMTP."""
    return ("store_webhook", "email") if smtp else ("store_webhook",)


def outbox_once(
    conn: Conn,
    orders: Iterable[str],
    arrivals: Sequence[dict[str, Any]],
    email_of: Any,
    *,
    smtp: bool,
) -> dict[str, Any]:
    """Each paid order: one `order.paid` row and one email row, each sent, and each
    arrived once at the store's side (the webhook verified)."""
    expected = set(orders)
    rows = paid_messages(conn)
    hooks: dict[str, int] = {}
    hook_ids: dict[str, set[str]] = {}
    unverified = 0
    mails: dict[str, int] = {}
    for record in arrivals:
        if record["via"] == "webhook":
            if not record["verified"]:
                unverified += 1
            elif record.get("type") == "order.paid":
                order = str(record.get("order"))
                hooks[order] = hooks.get(order, 0) + 1
                hook_ids.setdefault(order, set()).add(str(record["id"]))
        else:
            for address in record["to"]:
                mails[address] = mails.get(address, 0) + 1
    problems = {"webhooks_unverified": unverified}
    labels = {"store_webhook": "order_paid_rows", "email": "email_rows"}
    for kind in outbox_kinds(smtp=smtp):
        label = labels[kind]
        counts = [len(rows.get(order, {}).get(kind, [])) for order in expected]
        problems[f"{label}_missing"] = sum(1 for n in counts if n == 0)
        problems[f"{label}_doubled"] = sum(1 for n in counts if n > 1)
        problems[f"{label}_not_sent"] = sum(
            1
            for order in expected
            for status in rows.get(order, {}).get(kind, [])
            if status != "sent"
        )
    problems["order_paid_not_received"] = sum(1 for o in expected if hooks.get(o, 0) == 0)
    problems["order_paid_received_twice"] = sum(1 for o in expected if hooks.get(o, 0) > 1)
    problems["order_paid_two_webhook_ids"] = sum(
        1 for o in expected if len(hook_ids.get(o, set())) > 1
    )
    if smtp:
        problems["email_not_received"] = sum(1 for o in expected if mails.get(email_of(o), 0) == 0)
    problems["email_received_twice"] = sum(1 for o in expected if mails.get(email_of(o), 0) > 1)
    redeliveries = conn.execute(
        "SELECT coalesce(sum(redeliveries), 0) FROM outbox_message"
    ).fetchone()
    return {
        "problems": problems,
        "orders": len(expected),
        "rows": outbox_counts(conn),
        "redeliveries": int(redeliveries[0]) if redeliveries else 0,
    }
