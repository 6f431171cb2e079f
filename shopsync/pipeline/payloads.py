"""Reading JSON bodies safely: UTF-8 only, objects only, bounded nesting."""

from __future__ import annotations

import json
from typing import Any

from shopsync.errors import InvalidPayload

MAX_NESTING = 64


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("body is not valid UTF-8") from None


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse `text` as a JSON object; anything else is an `InvalidPayload`."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidPayload("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidPayload("JSON body must be an object")
    # Counting brackets is C-speed; only bodies that could be too deep get walked.
    if text.count("{") + text.count("[") > MAX_NESTING and _too_deep(value):
        raise InvalidPayload(f"JSON nested deeper than {MAX_NESTING} levels")
    return value


def _refuse_constant(name: str) -> object:
    # Python's json reads NaN and Infinity, which JSON has no room for and no provider sends.
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: object) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def decode_stored_object(text: str) -> dict[str, Any]:
    """A stored payload back as a dict; ValueError if it is not a JSON object."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("stored payload is not a JSON object")
    return value
