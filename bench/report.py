"""The one results table, and the JSON file in bench/results/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.options import RESULTS_DIR


@dataclass(frozen=True)
class Row:
    scenario: str
    rate: str = ""
    ack: str = ""
    ratio: str = ""
    non_2xx: str = ""
    e2e: str = ""
    rss: str = ""
    target: str = ""
    met: str = ""


COLUMNS = (
    ("scenario", "scenario", 44),
    ("rate", "rate", 13),
    ("ack", "ack p50/p99/max ms", 19),
    ("ratio", "x (a)", 6),
    ("non_2xx", "non-2xx", 7),
    ("e2e", "e2e p50/p99 ms", 15),
    ("rss", "peak RSS MB", 14),
    ("target", "target (issue)", 26),
    ("met", "met", 4),
)


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def triple(values: dict[str, Any], keys: tuple[str, ...] = ("p50", "p99", "max")) -> str:
    return "/".join(ms(values.get(key)) for key in keys)


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def render(rows: list[Row], notes: list[str]) -> str:
    header = "  ".join(title.ljust(width) for _, title, width in COLUMNS)
    lines = [header.rstrip(), "-" * len(header)]
    for row in rows:
        cells = [str(getattr(row, key)) for key, _, _ in COLUMNS]
        widths = [width for _, _, width in COLUMNS]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    lines.append("-" * len(header))
    lines += notes
    return "\n".join(lines)


def write_json(results: dict[str, Any], stamp: str) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    return path
