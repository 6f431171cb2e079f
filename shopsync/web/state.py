"""What the web app keeps for its requests: the runtime, endpoint directory and waker."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.pipeline.wakeups import WAKE_TIMEOUT_SECONDS, Waker
from shopsync.runtime import Runtime

EXTENSION_KEY = "shopsync"


@dataclass
class AppState:
    runtime: Runtime
    directory: EndpointDirectory
    waker: Waker


def install(app: Flask, runtime: Runtime) -> AppState:
    state = AppState(
        runtime=runtime,
        directory=EndpointDirectory(runtime.engine, runtime.vault),
        waker=Waker(lambda: runtime.connect_redis(timeout=WAKE_TIMEOUT_SECONDS, retries=False)),
    )
    app.extensions[EXTENSION_KEY] = state
    return state


def app_state() -> AppState:
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state
