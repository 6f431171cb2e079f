"""gunicorn settings for every way shopsync is served: the Procfile, `shopsync dev`, tests.

Threads, not processes, carry the requests, and a thread is given a request only once
it has fully arrived (shopsync.web.serving.ReadAheadWorker): idle or trickling clients
cannot starve the web process. Command-line flags override anything here.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# Heroku sets WEB_CONCURRENCY from the dyno size.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "shopsync.web.serving.ReadAheadWorker"
# Slow clients hold no thread (see above), so threads are only for overlapping the waits
# on a remote Postgres and Redis: a few per process, no more than the database pool keeps
# open (5), since each thread past that opens and closes a connection per request. More
# add no throughput once the CPU is busy, only a longer tail (bench/README.md).
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Open connections per worker, most of them waiting on slow clients without a thread.
worker_connections = 250

# Heroku: SIGKILL 30 s after SIGTERM, and its router gives up on a request after 30 s.
timeout = 30
graceful_timeout = 25
# How long an idle kept-alive connection stays open (the request itself then has
# shopsync.web.serving.REQUEST_DEADLINE_SECONDS to arrive).
keepalive = 5

# Webhook requests have short URLs and a handful of headers.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# No runtime control socket: nothing may resize or reload the server from outside.
control_socket_disable = True

# Access lines (off unless --access-logfile is given) never show an endpoint key.
logger_class = "shopsync.web.serving.KeyMaskingLogger"


def on_starting(_server: object) -> None:
    """Check the settings once, in the master, before any worker starts.

    A bad setting is then one line and a stop, not one traceback per worker (wsgi.py
    does the same for a worker that still meets one).
    """
    import sys

    from shopsync.config import Settings
    from shopsync.errors import ConfigError

    try:
        Settings.from_env()
    except ConfigError as error:
        sys.stderr.write(f"configuration error: {error}\n")
        raise SystemExit(2) from None
