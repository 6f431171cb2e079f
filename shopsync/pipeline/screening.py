"""Screens shared by providers: events a store must not act on.

A live store wired to a provider's test webhooks (or a test store's events sent to a
live one) answers 200 and ignores everything -- easy to miss. So the first such event
per store and process is also a warning in the log; `shopsync events list` shows the
reason on every ignored row.
"""

from __future__ import annotations

import logging
import threading
from typing import NoReturn

from shopsync.errors import Ignored
from shopsync.models import Store

log = logging.getLogger(__name__)
# Stores already warned about, by id and creation time (ids are reused in tests).
_warned: set[tuple[int | None, object]] = set()
_lock = threading.Lock()

TEST_EVENT_ON_LIVE_STORE = "test-mode event on a live store"


def ignore_test_event(
    store: Store, provider: str, reason: str = TEST_EVENT_ON_LIVE_STORE
) -> NoReturn:
    """Ignore a test-mode event on a live store, warning once per store."""
    key = (store.id, store.created_at)
    with _lock:
        first = key not in _warned
        _warned.add(key)
    if first:
        log.warning(
            "store %s is live and ignores %s test-mode events (%s); create it with "
            "--test-mode if it is wired to test webhooks",
            store.id,
            provider,
            reason,
        )
    raise Ignored(reason)
