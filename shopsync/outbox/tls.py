"""TLS contexts for sending: built once per process, not once per batch.

Loading the system's CA certificates (`set_default_verify_paths`) takes tens of
milliseconds, and a delivery job used to pay it for every batch of webhooks and every
SMTP session. A context is safe to share between connections and threads; its
settings are those of `ssl.create_default_context` (certificates and host names
verified).
"""

from __future__ import annotations

import ssl
from functools import lru_cache


@lru_cache(maxsize=8)
def verifying_context(cafile: str | None = None) -> ssl.SSLContext:
    """The default verifying context, trusting `cafile` instead when given."""
    return ssl.create_default_context(cafile=cafile)
