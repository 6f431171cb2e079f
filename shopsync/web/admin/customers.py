"""Customers: search by email or name; one customer with consents, provider ids, orders,
subscriptions, access now and why, and the emails sent to them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin.customers import customer_detail, search_customers, set_order_emails
from shopsync.clock import utcnow
from shopsync.web.admin import nav
from shopsync.web.admin.guard import (
    admin_blueprint,
    current_store_id,
    int_arg,
    runtime,
    signed_in,
    text_arg,
)

bp = admin_blueprint("admin_customers", __name__, "/customers")
nav.add("Customers", "admin_customers.index", position=25)


@bp.get("")
def index() -> str:
    query = text_arg("q", 200)
    page = search_customers(
        runtime().engine, store_id=current_store_id(), query=query, before=int_arg("before")
    )
    return render_template("admin/customers/list.html", page=page, query=query)


@bp.get("/<int:customer_id>")
def show(customer_id: int) -> str:
    detail = customer_detail(
        runtime().engine, store_id=current_store_id(), customer_id=customer_id, now=utcnow()
    )
    if detail is None:
        abort(404)
    return render_template("admin/customers/detail.html", detail=detail)


@bp.post("/<int:customer_id>/order-emails/<any(on,off):choice>")
def order_emails(customer_id: int, choice: str) -> ResponseReturnValue:
    """Turn the customer's order emails off when they ask the store to stop (or back on)."""
    changed = set_order_emails(
        runtime().engine,
        store_id=current_store_id(),
        customer_id=customer_id,
        on=choice == "on",
        actor=signed_in().email,
    )
    if not changed:
        abort(404)
    flash(f"Order emails to this customer are {choice}.")
    return redirect(url_for(".show", customer_id=customer_id), code=303)
