"""Read models of an order: the store's API, and the body of order webhooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.models import Order, OrderLineItem, OutboxKind, OutboxMessage, Shipment, TimelineEntry
from shopsync.orders.children import children


def order_document(engine: Engine, *, store_id: int, external_id: str) -> dict[str, Any] | None:
    """The order as JSON-ready data, or None when this store has no such order."""
    with Session(engine) as session:
        order = session.exec(
            select(Order).where(Order.store_id == store_id, Order.external_id == external_id)
        ).first()
        if order is None:
            return None
        return {
            **order_snapshot(session, order),
            "timeline": [_entry(e) for e in _children(session, TimelineEntry, order)],
            "emails": [_email(m) for m in _emails(session, order)],
        }


def order_snapshot(session: Session, order: Order) -> dict[str, Any]:
    """The order now, with its items and shipments (what an order webhook carries)."""
    assert order.id is not None
    return {
        **_summary(order),
        "line_items": [_line_item(item) for item in children(session, OrderLineItem, order.id)],
        "shipments": [_shipment(s) for s in children(session, Shipment, order.id)],
    }


def _children(session: Session, model: Any, order: Order) -> list[Any]:
    statement = select(model).where(model.order_id == order.id).order_by(col(model.id))
    return list(session.exec(statement))


def _summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.external_id,
        "number": order.number,
        "state": order.state,
        "email": order.email,
        "currency": order.currency,
        "total_amount": order.total_amount,
        "payment": {
            "status": order.payment_status,
            "paid_amount": order.paid_amount,
            "refunded_amount": order.refunded_amount,
            "disputed": order.disputed,
            "dispute_status": order.dispute_status,
        },
        "fulfillment_status": order.fulfillment_status,
        "canceled": order.canceled,
        "needs_attention": order.needs_attention,
        "status_page_token": order.public_token,
        "version": order.version,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def _line_item(item: OrderLineItem) -> dict[str, Any]:
    return {
        "name": item.name,
        "sku": item.sku,
        "quantity": item.quantity,
        "unit_amount": item.unit_amount,
    }


def _shipment(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.external_id,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "estimated_delivery": (
            shipment.estimated_delivery.isoformat() if shipment.estimated_delivery else None
        ),
        "canceled": shipment.canceled,
        "is_return": shipment.is_return,
    }


def _entry(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "milestone": entry.milestone,
        "message": entry.message,
        "occurred_at": entry.occurred_at.isoformat(),
        "webhook_event_id": entry.webhook_event_id,
    }


def _emails(session: Session, order: Order) -> list[OutboxMessage]:
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.order_id == order.id, OutboxMessage.kind == OutboxKind.EMAIL.value)
        .order_by(col(OutboxMessage.id))
    )
    return list(session.exec(statement))


def _email(message: OutboxMessage) -> dict[str, Any]:
    """What the customer was told and how it went (a `failed` one never reached them)."""
    return {
        "subject": message.summary,
        "to": message.target,
        "status": message.status,
        "result": message.last_result,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
    }
