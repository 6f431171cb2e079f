"""Scenario (a): the cheapest Flask answer, the baseline every other figure is divided by."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.post("/webhook")
def webhook() -> tuple[str, int]:
    return "", 200


@app.get("/healthz")
def healthz() -> tuple[str, int]:
    return "ok", 200
