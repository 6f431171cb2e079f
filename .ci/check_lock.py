"""Check that the lock files match pyproject.toml (run by `make lint` and so by CI).

Offline and deterministic: every requirement of pyproject.toml must be pinned, at a
version it allows, in the lock that installs it; nothing may be pinned as a direct
requirement that pyproject.toml no longer asks for; the runtime pins must equal the
development ones; and requirements.txt must end by installing the project itself.
`make lock` fixes any of these.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
DIRECT = "shopsync (pyproject.toml)"


def pins(path: Path) -> tuple[dict[str, str], set[str]]:
    """Pinned versions by name, and the names pinned because pyproject asks for them."""
    versions: dict[str, str] = {}
    direct: set[str] = set()
    current = ""
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            versions[current] = match.group(2)
        elif current and line.startswith(" ") and DIRECT in line:
            direct.add(current)
    return versions, direct


def problems_with(lock: str, wanted: list[Requirement]) -> tuple[list[str], dict[str, str]]:
    versions, direct = pins(ROOT / lock)
    found = []
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        version = versions.get(name)
        if version is None:
            found.append(f"{lock} does not pin {requirement.name}")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{lock} pins {name}=={version}, outside {requirement}")
    for stray in sorted(direct - {canonicalize_name(r.name) for r in wanted}):
        found.append(f"{lock} still pins {stray}, which pyproject.toml no longer asks for")
    return found, versions


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    extras = project["optional-dependencies"]
    development = runtime + [Requirement(r) for r in extras["dev"] + extras["local"]]
    found, runtime_pins = problems_with("requirements.txt", runtime)
    more, dev_pins = problems_with("requirements-dev.txt", development)
    found += more
    found += [
        f"requirements.txt pins {name}=={version} but requirements-dev.txt "
        f"{'=='.join(('pins ' + name, dev_pins[name])) if name in dev_pins else 'does not'}"
        for name, version in sorted(runtime_pins.items())
        if dev_pins.get(name) != version
    ]
    lines = [s.strip() for s in (ROOT / "requirements.txt").read_text().splitlines()]
    if [s for s in lines if s and not s.startswith("#")][-1:] != ["."]:
        found.append("requirements.txt must end with `.` (the project itself)")
    for problem in found:
        sys.stderr.write(f"lock files out of date: {problem}; run `make lock`\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
