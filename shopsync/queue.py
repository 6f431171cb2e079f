"""Redis connections and the RQ queue. Redis only wakes workers; the database is the record."""

from __future__ import annotations

from redis import Redis
from rq import Queue

QUEUE_NAME = "shopsync"
# Ids of inbox rows waiting for a worker, pushed by the web process and the relay.
INBOX_LIST = "shopsync:inbox"
# Set while a drain job is queued but not started, so arrivals don't queue one each.
DRAIN_PENDING_KEY = "shopsync:drain-pending"
DRAIN_PENDING_TTL_SECONDS = 60
RELAY_LOCK_KEY = "shopsync:relay-lock"


def connect_redis(url: str) -> Redis:
    """A client with short timeouts: an ack must not wait on a sick Redis."""
    options: dict[str, object] = {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 5.0,
        "health_check_interval": 30,
    }
    if url.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate; the channel is still encrypted.
        options["ssl_cert_reqs"] = None
    return Redis.from_url(url, **options)


def get_queue(redis: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=redis)
