"""The store owner's admin under /admin: one blueprint per page module.

Adding a page is adding a module here with its blueprint (made by
`guard.admin_blueprint`, so anonymous visitors are sent to sign in) and a `nav.add`
line, and listing it in PAGES.
"""

from __future__ import annotations

from flask import Flask

from shopsync.web.admin import (
    auth,
    connections,
    customers,
    dashboard,
    events,
    orders,
    outbox,
    stores,
    subscribers,
)

PAGES = (auth, dashboard, orders, customers, events, outbox, connections, subscribers, stores)


def register(app: Flask) -> None:
    for page in PAGES:
        app.register_blueprint(page.bp)
