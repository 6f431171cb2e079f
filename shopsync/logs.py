"""Logging set-up: one line per record, to stderr, as Heroku-style hosts expect."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_shopsync", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._shopsync = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
