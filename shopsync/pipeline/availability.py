"""Whether a dependency answers, logged once per change rather than once per failure."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

CERTIFICATE_HINT = (
    "its TLS certificate could not be verified: set REDIS_TLS_CA_FILE to the authority "
    "that signed it, or REDIS_TLS_VERIFY=false for a self-signed platform Redis"
)


class Availability:
    """Logs "<name> unavailable (...), <meanwhile>" when it goes away, "<name> back" after."""

    def __init__(self, name: str, *, meanwhile: str = "waiting") -> None:
        self.name = name
        self._meanwhile = meanwhile
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def lost(self, error: BaseException) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
        log.warning("%s unavailable (%s), %s", self.name, describe(error), self._meanwhile)

    def back(self) -> None:
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("%s back", self.name)


def describe(error: BaseException) -> str:
    """The error's class, and what to do when it is a certificate the client refused."""
    if "CERTIFICATE_VERIFY_FAILED" in str(error):
        return f"{type(error).__name__}: {CERTIFICATE_HINT}"
    return type(error).__name__
