"""Orders: search by number or email; one order with its timeline, causes and messages."""

from __future__ import annotations

from flask import abort, render_template

from shopsync.admin.orders import order_detail, search_orders
from shopsync.status_page.links import status_url
from shopsync.web.admin import nav
from shopsync.web.admin.guard import admin_blueprint, current_store_id, int_arg, runtime, text_arg

bp = admin_blueprint("admin_orders", __name__, "/orders")
nav.add("Orders", "admin_orders.index", position=20)


@bp.get("")
def index() -> str:
    query = text_arg("q", 200)
    page = search_orders(
        runtime().engine, store_id=current_store_id(), query=query, before=int_arg("before")
    )
    return render_template("admin/orders/list.html", page=page, query=query)


@bp.get("/<int:order_id>")
def show(order_id: int) -> str:
    rt = runtime()
    detail = order_detail(rt.engine, store_id=current_store_id(), order_id=order_id)
    if detail is None:
        abort(404)
    return render_template(
        "admin/orders/detail.html",
        detail=detail,
        status_url=status_url(rt.settings.public_url, detail.order.public_token),
    )
