"""Whether this process has been asked to stop, for long jobs to check between steps.

A drain job checks it between batches and chunks: on a shutdown it finishes the chunk
in hand and hands the rest of its rows back at once (see shopsync.pipeline.worker).
"""

from __future__ import annotations

import threading

_requested = threading.Event()


def request() -> None:
    """Ask the jobs of this process to stop after the unit of work in hand."""
    _requested.set()


def requested() -> bool:
    return _requested.is_set()
