"""The admin's navigation: each page module adds its section when it is imported.

A new admin page (connections, customers, ...) is one module with a blueprint that calls
`add`, listed in `shopsync.web.admin.PAGES`; the header picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    label: str
    endpoint: str
    # Sections are shown by position, smallest first.
    position: int


_sections: dict[str, Section] = {}


def add(label: str, endpoint: str, *, position: int) -> Section:
    section = Section(label, endpoint, position)
    _sections[endpoint] = section
    return section


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.position, s.label))
