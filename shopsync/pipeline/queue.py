"""The Redis keys that wake the inbox's workers. The database is the record."""

from __future__ import annotations

# Ids of inbox rows waiting for a worker, pushed by the web process and the relay.
INBOX_LIST = "shopsync:inbox"
# Set while a drain job is queued but not started, so arrivals don't queue one each.
DRAIN_PENDING_KEY = "shopsync:drain-pending"
DRAIN_PENDING_TTL_SECONDS = 60
RELAY_LOCK_KEY = "shopsync:relay-lock"
