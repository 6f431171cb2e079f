"""The admin's first page: what came in lately, what waits, what needs attention."""

from __future__ import annotations

from flask import render_template

from shopsync.admin.dashboard import dashboard
from shopsync.web.admin import nav
from shopsync.web.admin.guard import admin_blueprint, current_store_id, runtime

bp = admin_blueprint("admin_dashboard", __name__)
nav.add("Dashboard", "admin_dashboard.index", position=10)


@bp.get("/")
def index() -> str:
    rt = runtime()
    board = dashboard(rt.engine, rt.redis, store_id=current_store_id())
    return render_template("admin/dashboard.html", board=board)
