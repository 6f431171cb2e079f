"""The WSGI entry point for gunicorn: the only module-level app.

A configuration error is one line on stderr, and the exit code gunicorn reads as
"the app failed to load", so it stops instead of restarting workers in a loop.
"""

import sys

from shopsync.app import create_app
from shopsync.errors import ConfigError

# gunicorn's Arbiter.APP_LOAD_ERROR: the master halts instead of booting a new worker.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigError as error:
    sys.stderr.write(f"configuration error: {error}\n")
    sys.stderr.flush()
    raise SystemExit(APP_LOAD_ERROR) from None
