"""Work that must wait for a transaction to commit: cache invalidation, scheduled checks.

Domain code adds a callback to the session; it runs once the outermost transaction
commits (never if it rolls back), in whichever process committed: a worker's drain, a
scheduled job, a command. Callbacks reach Redis only; a failure there is logged and
left to what backs each one up (cache entries expire, the relay finds due checks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlmodel import Session

from shopsync.errors import ConfigError

log = logging.getLogger(__name__)
KEY = "shopsync.after_commit"

Callback = Callable[[], None]


def call_after_commit(session: Session, callback: Callback) -> None:
    session.info.setdefault(KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for callback in session.info.pop(KEY, []):
        try:
            callback()
        except (RedisError, ConfigError) as error:
            log.warning("after-commit step skipped: %s", type(error).__name__)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(KEY, None)
