"""Real pages in a real browser: Debian's Chromium driven by Playwright, against a real
gunicorn and `shopsync worker` (tests.processes).

Playwright's own browser download does not work on these machines, and it only promises
to drive the build it bundles; playwright is pinned in pyproject.toml and drives
/usr/bin/chromium (`.ci/run` installs it with apt when it is missing).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from tests.processes import Process, gunicorn, shopsync_worker
from tests.support import StoreFixture, signed_headers

CHROMIUM = "/usr/bin/chromium"


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watcher:
    """What a page did that a user would notice: dialogs (XSS fires one) and console errors
    (a blocked script or style shows up there as a CSP violation)."""

    confirm: bool = True
    alerts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Watcher:
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return self

    def _dialog(self, dialog: Dialog) -> None:
        if dialog.type == "confirm" and self.confirm:
            dialog.accept()  # the admin's "are you sure?" questions
            return
        self.alerts.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@dataclass
class Site:
    """A running shopsync: gunicorn serving `base`, a worker working its queue."""

    base: str
    web: Process
    worker: Process

    def url(self, path: str) -> str:
        return self.base + path

    def post_webhook(
        self,
        store: StoreFixture,
        provider: str,
        payload: dict[str, Any],
        *,
        secret: str | None = None,
    ) -> int:
        """POST a correctly signed delivery, as the provider would (with `secret`, if given)."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(signed_headers(provider, body, secret or store.secret(provider)))
        request = urllib.request.Request(
            self.url(store.path(provider)), data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code


@contextmanager
def running_site(env: dict[str, str], logs: Path) -> Iterator[Site]:
    web, base = gunicorn(env, workers=2, log=logs / "gunicorn.log")
    worker = shopsync_worker(env, log=logs / "worker.log")
    try:
        yield Site(base=base, web=web, worker=worker)
    finally:
        worker.stop()
        web.stop()
