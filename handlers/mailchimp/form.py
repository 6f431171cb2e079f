"""Reading Mailchimp's form-encoded webhook bodies strictly.

Mailchimp posts `application/x-www-form-urlencoded` fields with PHP-style bracket keys:
`type`, `fired_at` and `data[...]`, nested for merge fields (`data[merges][FNAME]`,
`data[merges][GROUPINGS][0][name]`). Anything else is refused: a field outside those
names, a repeated field, a field that is both a value and a group, deeper nesting than
Mailchimp uses, more fields than a member has, or text that is not UTF-8.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from shopsync.errors import InvalidPayload

MAX_FIELDS = 300
# data[merges][GROUPINGS][0][groups] is the deepest Mailchimp sends.
MAX_DEPTH = 4
TOP_FIELDS = frozenset(("type", "fired_at"))
KEY = re.compile(rf"data((?:\[[A-Za-z0-9_-]{{1,64}}\]){{1,{MAX_DEPTH}}})")
PART = re.compile(r"\[([^\]]*)\]")

Form = dict[str, Any]


def parse_form(text: str) -> Form:
    """`type`, `fired_at` and the nested `data` object; InvalidPayload for anything else."""
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (ValueError, UnicodeDecodeError):
        raise InvalidPayload(
            "body is not a Mailchimp form (bad encoding or too many fields)"
        ) from None
    form: Form = {"data": {}}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise InvalidPayload("a form field is repeated")
        seen.add(name)
        if "\x00" in value:
            raise InvalidPayload("a form field holds a NUL character")
        if name in TOP_FIELDS:
            form[name] = value
            continue
        found = KEY.fullmatch(name)
        if found is None:
            raise InvalidPayload("the form has a field Mailchimp does not send")
        _put(form["data"], PART.findall(found.group(1)), value)
    return form


def _put(data: Form, path: list[str], value: str) -> None:
    node = data
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidPayload("a form field is both a value and a group")
        node = child
    if path[-1] in node:
        raise InvalidPayload("a form field is both a value and a group")
    node[path[-1]] = value
